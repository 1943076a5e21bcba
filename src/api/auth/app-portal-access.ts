import { createRoute } from "@hono/zod-openapi";
import { issuePortalToken } from "../../services/portal-tokens";
import type { App } from "../../types";
import { appIdParam } from "../application/schema";
import { errorResponses, forbiddenResponse, jsonBody, jsonResponse, security } from "../common";
import { AppPortalAccessIn, AppPortalAccessOut } from "./schema";

// No idempotency middleware: a replayed answer would have to keep the token in D1 in clear.
const route = createRoute({
  method: "post",
  path: "/api/v1/auth/app-portal-access/{app_id}",
  operationId: "v1.authentication.app-portal-access",
  tags: ["Authentication"],
  summary: "Get Consumer App Portal Access",
  description:
    "Issues an app-portal token for the application (admin token only) and the url of the portal " +
    "page with it. The token can use only this application's routes, as its capabilities allow.",
  security,
  request: { params: appIdParam, body: jsonBody(AppPortalAccessIn) },
  responses: {
    200: jsonResponse(AppPortalAccessOut, "The token and the portal's url"),
    403: forbiddenResponse,
    ...errorResponses,
  },
});

export const registerAppPortalAccess = (app: App) =>
  app.openapi(route, async (c) => {
    const answer = await issuePortalToken({
      env: c.env,
      idOrUid: c.req.valid("param").app_id,
      input: c.req.valid("json"),
      origin: new URL(c.req.url).origin,
    });
    return c.json(answer, 200);
  });
