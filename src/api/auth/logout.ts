import { createRoute } from "@hono/zod-openapi";
import { ApiError } from "../../errors";
import { logoutPortalToken } from "../../services/portal-tokens";
import type { App } from "../../types";
import { errorResponses, forbiddenResponse, noContent, security } from "../common";

const route = createRoute({
  method: "post",
  path: "/api/v1/auth/logout",
  // Svix's document (shared/svix-openapi.json) names it so; test/integration/openapi.test.ts holds us to it.
  operationId: "logout_api_v1_auth_logout__post",
  tags: ["Authentication"],
  summary: "Logout",
  description: "Ends the app-portal token that calls it. The admin token cannot log out (403).",
  security,
  responses: { ...noContent, 401: errorResponses[401], 403: forbiddenResponse },
});

export const registerLogout = (app: App) =>
  app.openapi(route, async (c) => {
    const auth = c.get("auth");
    if (auth.kind !== "portal") throw new ApiError(403, "forbidden", "Only an app-portal token can log out");
    await logoutPortalToken(c.env.DB, auth.tokenHash);
    return c.body(null, 204);
  });
