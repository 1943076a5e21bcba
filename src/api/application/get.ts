import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { ApplicationOut, appIdParam, toApplicationOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}",
  operationId: "v1.application.get",
  tags: ["Application"],
  summary: "Get Application",
  security,
  request: { params: appIdParam },
  responses: {
    200: jsonResponse(ApplicationOut, "The application"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetApplication = (app: App) =>
  app.openapi(route, async (c) => {
    const row = await requireApplication(c.env.DB, c.req.valid("param").app_id);
    return c.json(toApplicationOut(row), 200);
  });
