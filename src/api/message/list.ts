import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../app";
import { listMessages } from "../../db/messages";
import { idAt } from "../../lib/ids";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { errorResponses, jsonResponse, security } from "../common";
import {
  appIdParam,
  channelName,
  ListResponseMessageOut,
  queryBool,
  queryList,
  toMessageOut,
} from "./schema";

/** before/after query bounds, shared by the listings of messages and attempts. */
export const timeRangeQuery = {
  before: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Only items created before this time" }),
  after: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Only items created after this time" }),
};

export const idRange = (prefix: "msg" | "atmpt", q: { before?: string; after?: string }) => ({
  fromId: q.after ? idAt(prefix, Date.parse(q.after) + 1) : null,
  toId: q.before ? idAt(prefix, Date.parse(q.before)) : null,
});

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
    query: paginationQuery.extend({
      channel: channelName.optional().openapi({ description: "Only messages sent on this channel" }),
      event_types: queryList.openapi({
        type: "array",
        items: { type: "string" },
        description: "Only these event types",
      }),
      with_content: queryBool(true).openapi({ type: "boolean" }),
      ...timeRangeQuery,
    }),
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
      c.env.DB,
      application.id,
      { ...idRange("msg", q), eventTypes: q.event_types, channel: q.channel ?? null, cursor: page.cursor },
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
