import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { createEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { appIdParam } from "../application/schema";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { EndpointIn, EndpointOut, toEndpointOut, withFilterTypes } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/endpoint",
  operationId: "v1.endpoint.create",
  tags: ["Endpoint"],
  summary: "Create Endpoint",
  description:
    "Creates an endpoint. The URL must be https on a public host; `eventTypes` must name existing " +
    "event types; a `secret` is generated unless given.",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    params: appIdParam,
    body: jsonBody(EndpointIn),
  },
  responses: {
    201: jsonResponse(EndpointOut, "The created endpoint"),
    ...errorResponses,
  },
});

export const registerCreateEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const application = await requireApplication(c.env.DB, c.req.valid("param").app_id);
    const row = await createEndpoint({
      env: c.env,
      app: application,
      input: withFilterTypes(c.req.valid("json")),
    });
    return c.json(toEndpointOut(row), 201);
  });
