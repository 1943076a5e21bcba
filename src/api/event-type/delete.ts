import { createRoute, z } from "@hono/zod-openapi";
import { removeEventType } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { eventTypeNameParam } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/api/v1/event-type/{event_type_name}",
  operationId: "v1.event-type.delete",
  tags: ["Event Type"],
  summary: "Delete Event Type",
  description:
    "Archives the event type: it disappears from lists (unless `include_archived`) and from endpoint " +
    "filters' choices, but keeps its name. `expunge=true` deletes it entirely.",
  security,
  request: {
    params: eventTypeNameParam,
    query: z.object({
      expunge: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "Delete the event type entirely instead of archiving it" }),
    }),
  },
  responses: {
    ...noContent,
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerDeleteEventType = (app: App) =>
  app.openapi(route, async (c) => {
    await removeEventType({
      db: c.env.DB,
      name: c.req.valid("param").event_type_name,
      expunge: c.req.valid("query").expunge === "true",
    });
    return c.body(null, 204);
  });
