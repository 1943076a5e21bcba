import { createRoute, z } from "@hono/zod-openapi";
import { isoTime, parseJson } from "../../lib/json";
import { listResponse, listResponseSchema, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { listDestinations } from "../../services/attempts";
import type { App } from "../../types";
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
  description:
    "Lists the endpoints the message was fanned out to, with each destination's status: pending (1) until its " +
    "first attempt and while a retry is scheduled, sending (3) while an attempt is in flight, then success (0) or fail (2).",
  security,
  request: { params: msgParams, query: paginationQuery.strict() },
  responses: {
    200: jsonResponse(listResponseSchema(MessageEndpointOut, "ListResponse_MessageEndpointOut_"), "A page"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerListAttemptedDestinations = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const page = pageRequest(c.req.valid("query"), "ascending");
    const all = await listDestinations(c.env, application.id, msg_id);
    let rows = page.direction === "DESC" ? [...all].reverse() : all;
    const cursor = page.cursor;
    if (cursor)
      rows = rows.filter((d) => (page.direction === "ASC" ? d.endpoint.id > cursor : d.endpoint.id < cursor));
    return c.json(
      listResponse(
        rows.slice(0, page.limit + 1),
        page,
        (d) => d.endpoint.id,
        ({ endpoint: e, status, nextAttempt }) => ({
          id: e.id,
          uid: e.uid,
          url: e.url,
          description: e.description,
          status: asStatus(status),
          statusText: statusText(status),
          nextAttempt: nextAttempt ? isoTime(nextAttempt) : null,
          throttleRate: e.throttle_rate,
          disabled: e.disabled === 1,
          eventTypes: parseJson<string[] | null>(e.event_types, null),
          channels: parseJson<string[] | null>(e.channels, null),
          createdAt: isoTime(e.created_at),
          updatedAt: isoTime(e.updated_at),
        }),
      ),
      200,
    );
  });
