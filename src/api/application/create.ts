import { createRoute, z } from "@hono/zod-openapi";
import { createApplication } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { ApplicationIn, ApplicationOut, toApplicationOut } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/app",
  operationId: "v1.application.create",
  tags: ["Application"],
  summary: "Create Application",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    query: z.object({
      get_if_exists: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "Return the existing application with this uid instead of 409" }),
    }),
    body: jsonBody(ApplicationIn),
  },
  responses: {
    200: jsonResponse(ApplicationOut, "The existing application (get_if_exists)"),
    201: jsonResponse(ApplicationOut, "The created application"),
    ...errorResponses,
  },
});

export const registerCreateApplication = (app: App) =>
  app.openapi(route, async (c) => {
    const { app: row, created } = await createApplication({
      env: c.env,
      input: c.req.valid("json"),
      getIfExists: c.req.valid("query").get_if_exists === "true",
    });
    return c.json(toApplicationOut(row), created ? 201 : 200);
  });
