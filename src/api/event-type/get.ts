import { createRoute } from "@hono/zod-openapi";
import { requireEventType } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, jsonResponse, portalFeatureFlags, security } from "../common";
import { EventTypeOut, eventTypeNameParam, toEventTypeOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/event-type/{event_type_name}",
  operationId: "v1.event-type.get",
  tags: ["Event Type"],
  summary: "Get Event Type",
  security,
  request: { params: eventTypeNameParam },
  responses: {
    200: jsonResponse(EventTypeOut, "The event type (archived ones included)"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerGetEventType = (app: App) =>
  app.openapi(route, async (c) => {
    const name = c.req.valid("param").event_type_name;
    const row = await requireEventType(c.env.DB, name, portalFeatureFlags(c.get("auth")));
    return c.json(toEventTypeOut(row), 200);
  });
