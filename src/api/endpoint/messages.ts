import { createRoute, z } from "@hono/zod-openapi";
import { isoTime } from "../../lib/json";
import { listResponse, listResponseSchema, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { listEndpointMessages } from "../../services/attempts";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import {
  appEndpointParams,
  asStatus,
  expandedStatusesQuery,
  messageStatus,
  messageStatusText,
  statusQuery,
  statusText,
} from "../attempt/schema";
import { errorResponses, jsonResponse, security } from "../common";
import {
  channelName,
  eventTypesQuery,
  MessageOut,
  messageListFilter,
  queryBool,
  tagQuery,
  timeRangeQuery,
  toMessageOut,
} from "../message/schema";

const EndpointMessageOut = MessageOut.extend({
  status: messageStatus,
  statusText: messageStatusText,
  nextAttempt: z.string().nullable().optional(),
}).openapi("EndpointMessageOut");

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
  operationId: "v1.message-attempt.list-attempted-messages",
  tags: ["Message Attempt"],
  summary: "List Attempted Messages",
  description:
    "Lists the messages sent to this endpoint, newest first, with the delivery's status. A page may hold fewer " +
    "than `limit` messages with `done: false` when the endpoint receives few of the application's messages.",
  security,
  request: {
    params: appEndpointParams,
    query: paginationQuery
      .extend({
        channel: channelName.optional(),
        status: statusQuery,
        event_types: eventTypesQuery,
        with_content: queryBool(true).openapi({ type: "boolean" }),
        expanded_statuses: expandedStatusesQuery,
        tag: tagQuery,
        ...timeRangeQuery,
      })
      .strict(),
  },
  responses: {
    200: jsonResponse(listResponseSchema(EndpointMessageOut, "ListResponse_EndpointMessageOut_"), "A page"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerListEndpointMessages = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    const page = pageRequest(q, "descending");
    const { rows, stoppedAt } = await listEndpointMessages(
      c.env,
      application.id,
      endpoint.id,
      { ...messageListFilter(q, page.cursor), status: q.status },
      page.direction,
      page.limit,
    );
    const body = listResponse(
      rows,
      page,
      (r) => r.id,
      (r) => ({
        ...toMessageOut(r, q.with_content),
        status: asStatus(r.d_status),
        statusText: statusText(r.d_status),
        nextAttempt: r.d_next ? isoTime(r.d_next) : null,
      }),
    );
    // A shard read its limit without filling the page: go on from where it stopped.
    if (stoppedAt && !page.backwards) return c.json({ ...body, iterator: stoppedAt, done: false }, 200);
    return c.json(body, 200);
  });
