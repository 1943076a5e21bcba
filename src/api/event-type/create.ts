import { createRoute } from "@hono/zod-openapi";
import { createEventType } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { EventTypeIn, EventTypeOut, toEventTypeOut } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/event-type",
  operationId: "v1.event-type.create",
  tags: ["Event Type"],
  summary: "Create Event Type",
  description:
    "Creates an event type, or unarchives an archived one of the same name (replacing its description " +
    "and schemas); 409 when an active event type has the name.",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    body: jsonBody(EventTypeIn),
  },
  responses: {
    201: jsonResponse(EventTypeOut, "The created event type"),
    ...errorResponses,
  },
});

export const registerCreateEventType = (app: App) =>
  app.openapi(route, async (c) => {
    const { name, ...input } = c.req.valid("json");
    const row = await createEventType({ db: c.env.DB, name, input });
    return c.json(toEventTypeOut(row), 201);
  });
