import { createRoute } from "@hono/zod-openapi";
import { removeApplication } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { appIdParam } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/api/v1/app/{app_id}",
  operationId: "v1.application.delete",
  tags: ["Application"],
  summary: "Delete Application",
  description: "Deletes the application with its endpoints, messages and attempts.",
  security,
  request: { params: appIdParam },
  responses: { ...noContent, 401: errorResponses[401], 404: errorResponses[404] },
});

export const registerDeleteApplication = (app: App) =>
  app.openapi(route, async (c) => {
    await removeApplication({ env: c.env, idOrUid: c.req.valid("param").app_id });
    return c.body(null, 204);
  });
