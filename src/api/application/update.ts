import { createRoute } from "@hono/zod-openapi";
import { replaceApplication } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { ApplicationIn, ApplicationOut, appIdParam, toApplicationOut } from "./schema";

const route = createRoute({
  method: "put",
  path: "/api/v1/app/{app_id}",
  operationId: "v1.application.update",
  tags: ["Application"],
  summary: "Update Application",
  description: "Replaces the application; an unknown uid creates it (201).",
  security,
  request: { params: appIdParam, body: jsonBody(ApplicationIn) },
  responses: {
    200: jsonResponse(ApplicationOut, "The updated application"),
    201: jsonResponse(ApplicationOut, "The created application"),
    ...errorResponses,
  },
});

export const registerUpdateApplication = (app: App) =>
  app.openapi(route, async (c) => {
    const { app: row, created } = await replaceApplication({
      env: c.env,
      idOrUid: c.req.valid("param").app_id,
      input: c.req.valid("json"),
    });
    return c.json(toApplicationOut(row), created ? 201 : 200);
  });
