import { createRoute } from "@hono/zod-openapi";
import { expireAllPortalTokens } from "../../services/portal-tokens";
import type { App } from "../../types";
import { appIdParam } from "../application/schema";
import { errorResponses, forbiddenResponse, jsonBody, noContent, security } from "../common";
import { ApplicationTokenExpireIn } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/auth/app/{app_id}/expire-all",
  operationId: "v1.authentication.expire-all",
  tags: ["Authentication"],
  summary: "Expire All",
  description:
    "Ends every app-portal token of the application (admin token only), or those of the sessionIds " +
    "given, at once or after `expiry` seconds.",
  security,
  request: { params: appIdParam, body: jsonBody(ApplicationTokenExpireIn) },
  responses: { ...noContent, 403: forbiddenResponse, ...errorResponses },
});

export const registerExpireAll = (app: App) =>
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    await expireAllPortalTokens({
      env: c.env,
      idOrUid: c.req.valid("param").app_id,
      expiry: body.expiry,
      sessionIds: body.sessionIds,
    });
    return c.body(null, 204);
  });
