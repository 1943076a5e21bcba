import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../app";
import { latestAttemptsOfMessage } from "../../db/deliveries";
import { endpointsByIds } from "../../db/delivery-reads";
import type { EndpointRow } from "../../db/endpoints";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { requireMessage } from "../../services/messages";
import { errorResponses, jsonResponse, security } from "../common";
import { msgParams } from "../message/schema";
import { asStatus, messageStatus, messageStatusText, statusText } from "./schema";

export const MessageEndpointOut = z
  .object({
    id: z.string(),
    uid: z.string().nullable().optional(),
    url: z.string(),
    description: z.string(),
    status: messageStatus,
    statusText: messageStatusText,
    nextAttempt: z.string().nullable().optional(),
    throttleRate: z.number().int().nullable().optional(),
    disabled: z.boolean().optional(),
    eventTypes: z.array(z.string()).nullable().optional(),
    channels: z.array(z.string()).nullable().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("MessageEndpointOut");

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
  operationId: "v1.message-attempt.list-attempted-destinations",
  tags: ["Message Attempt"],
  summary: "List Attempted Destinations",
  description: "Lists the endpoints the message was fanned out to, with each delivery's status.",
  security,
  request: { params: msgParams, query: paginationQuery },
  responses: {
    200: jsonResponse(listResponseSchema(MessageEndpointOut, "ListResponse_MessageEndpointOut_"), "A page"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

// D1 binds at most 100 parameters: a page reads at most this many destinations.
const MAX_PAGE = 90;

export const registerListAttemptedDestinations = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const message = await requireMessage(c.env.DB, application.id, msg_id);
    const page = pageRequest(c.req.valid("query"), "ascending");
    const limit = Math.min(page.limit, MAX_PAGE);
    let ids = parseJson<string[]>(message.destinations, []).sort();
    if (page.direction === "DESC") ids.reverse();
    if (page.cursor) {
      const cursor = page.cursor;
      ids = ids.filter((id) => (page.direction === "ASC" ? id > cursor : id < cursor));
    }
    const pageIds = ids.slice(0, limit);
    const [endpoints, latest] = await Promise.all([
      pageIds.length ? endpointsByIds(c.env.DB, application.id, pageIds).all<EndpointRow>() : { results: [] },
      latestAttemptsOfMessage(c.env.DB, application.id, message.id, pageIds),
    ]);
    const byId = new Map(endpoints.results.map((e) => [e.id, e]));
    // Deleted endpoints drop out of the listing.
    const rows = pageIds.flatMap((id) => {
      const e = byId.get(id);
      return e ? [e] : [];
    });
    if (page.backwards) rows.reverse();
    const data = rows.map((e) => {
      const state = latest.get(e.id);
      const status = state?.status ?? 1;
      return {
        id: e.id,
        uid: e.uid,
        url: e.url,
        description: e.description,
        status: asStatus(status),
        statusText: statusText(status),
        nextAttempt: state?.next_attempt_at ? isoTime(state.next_attempt_at) : null,
        throttleRate: e.throttle_rate,
        disabled: e.disabled === 1,
        eventTypes: parseJson<string[] | null>(e.event_types, null),
        channels: parseJson<string[] | null>(e.channels, null),
        createdAt: isoTime(e.created_at),
        updatedAt: isoTime(e.updated_at),
      };
    });
    const first = pageIds[0];
    const last = pageIds[pageIds.length - 1];
    const [head, tail] = page.backwards ? [last, first] : [first, last];
    return c.json(
      {
        data,
        iterator: tail ?? null,
        prevIterator: head ? `-${head}` : null,
        done: ids.length <= limit,
      },
      200,
    );
  });
