import { createRoute } from "@hono/zod-openapi";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { listMessages } from "../../services/messages";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import {
  appIdParam,
  channelName,
  eventTypesQuery,
  ListResponseMessageOut,
  messageListFilter,
  queryBool,
  tagQuery,
  timeRangeQuery,
  toMessageOut,
} from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/msg",
  operationId: "v1.message.list",
  tags: ["Message"],
  summary: "List Messages",
  description: "Lists an application's messages, newest first.",
  security,
  request: {
    params: appIdParam,
    query: paginationQuery
      .extend({
        channel: channelName.optional().openapi({ description: "Only messages sent on this channel" }),
        event_types: eventTypesQuery,
        with_content: queryBool(true).openapi({ type: "boolean" }),
        tag: tagQuery,
        ...timeRangeQuery,
      })
      .strict(),
  },
  responses: {
    200: jsonResponse(ListResponseMessageOut, "A page of messages"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerListMessages = (app: App) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const application = await requireApplication(c.env.DB, c.req.valid("param").app_id);
    const page = pageRequest(q, "descending");
    const rows = await listMessages(
      c.env,
      application.id,
      messageListFilter(q, page.cursor),
      page.direction,
      page.limit,
    );
    return c.json(
      listResponse(
        rows,
        page,
        (r) => r.id,
        (r) => toMessageOut(r, q.with_content),
      ),
      200,
    );
  });
