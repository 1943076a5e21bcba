import { createRoute, z } from "@hono/zod-openapi";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { listEventTypePage } from "../../services/event-types";
import type { App } from "../../types";
import { errorResponses, jsonResponse, portalFeatureFlags, security } from "../common";
import { ListResponseEventTypeOut, toEventTypeOut } from "./schema";

const booleanQuery = (description: string) => z.enum(["true", "false"]).optional().openapi({ description });

const route = createRoute({
  method: "get",
  path: "/api/v1/event-type",
  operationId: "v1.event-type.list",
  tags: ["Event Type"],
  summary: "List Event Types",
  description: "Lists event types in name order; the iterator is the last name returned.",
  security,
  request: {
    query: paginationQuery.extend({
      include_archived: booleanQuery("When `true` archived (deleted but not expunged) items are included"),
      with_content: booleanQuery("When `true` the full item (including the schemas) is included"),
    }),
  },
  responses: {
    200: jsonResponse(ListResponseEventTypeOut, "A page of event types"),
    401: errorResponses[401],
    422: errorResponses[422],
  },
});

export const registerListEventTypes = (app: App) =>
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const page = pageRequest(query, "ascending");
    const rows = await listEventTypePage(
      c.env.DB,
      page,
      query.include_archived === "true",
      portalFeatureFlags(c.get("auth")),
    );
    const withContent = query.with_content === "true";
    return c.json(
      listResponse(
        rows,
        page,
        (r) => r.name,
        (r) => toEventTypeOut(r, withContent),
      ),
      200,
    );
  });
