import { createRoute } from "@hono/zod-openapi";
import { patchEventType } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { EventTypeOut, EventTypePatch, eventTypeNameParam, toEventTypeOut } from "./schema";

const route = createRoute({
  method: "patch",
  path: "/api/v1/event-type/{event_type_name}",
  operationId: "patch_event_type",
  tags: ["Event Type"],
  summary: "Patch Event Type",
  description: "Changes only the fields given; `null` clears a nullable field.",
  security,
  request: { params: eventTypeNameParam, body: jsonBody(EventTypePatch) },
  responses: {
    200: jsonResponse(EventTypeOut, "The updated event type"),
    ...errorResponses,
  },
});

export const registerPatchEventType = (app: App) =>
  app.openapi(route, async (c) => {
    const row = await patchEventType({
      db: c.env.DB,
      name: c.req.valid("param").event_type_name,
      input: c.req.valid("json"),
    });
    return c.json(toEventTypeOut(row), 200);
  });
