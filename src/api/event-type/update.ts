import { createRoute } from "@hono/zod-openapi";
import { replaceEventType } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { EventTypeOut, EventTypeUpdate, eventTypeNameParam, toEventTypeOut } from "./schema";

const route = createRoute({
  method: "put",
  path: "/api/v1/event-type/{event_type_name}",
  operationId: "v1.event-type.update",
  tags: ["Event Type"],
  summary: "Update Event Type",
  description: "Replaces the event type; an unknown name creates it (201).",
  security,
  request: { params: eventTypeNameParam, body: jsonBody(EventTypeUpdate) },
  responses: {
    200: jsonResponse(EventTypeOut, "The updated event type"),
    201: jsonResponse(EventTypeOut, "The created event type"),
    ...errorResponses,
  },
});

export const registerUpdateEventType = (app: App) =>
  app.openapi(route, async (c) => {
    const { eventType, created } = await replaceEventType({
      db: c.env.DB,
      name: c.req.valid("param").event_type_name,
      input: c.req.valid("json"),
    });
    return c.json(toEventTypeOut(eventType), created ? 201 : 200);
  });
