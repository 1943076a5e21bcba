import { createRoute, z } from "@hono/zod-openapi";
import { invalid } from "../../errors";
import { requireApplication } from "../../services/applications";
import { endpointHourlyStats, endpointStats } from "../../services/attempts";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { appEndpointParams } from "../attempt/schema";
import { errorResponses, jsonResponse, security } from "../common";
import { dateTime } from "../message/schema";

const EndpointStats = z
  .object({
    success: z.number().int(),
    pending: z.number().int(),
    sending: z.number().int(),
    fail: z.number().int(),
    canceled: z.number().int(),
  })
  .openapi("EndpointStats");

const DEFAULT_RANGE_MS = 28 * 86_400_000;

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
  operationId: "v1.endpoint.get-stats",
  tags: ["Endpoint"],
  summary: "Endpoint Stats",
  description:
    "Counts the endpoint's deliveries by status, for messages created in [since, until) (default: the last 28 days).",
  security,
  request: {
    params: appEndpointParams,
    query: z
      .object({
        since: dateTime.optional(),
        until: dateTime.optional(),
      })
      .strict(),
  },
  responses: {
    200: jsonResponse(EndpointStats, "Counts by status"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerEndpointStats = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const until = q.until ? Date.parse(q.until) : Date.now() + 1;
    const since = q.since ? Date.parse(q.since) : until - DEFAULT_RANGE_MS;
    if (until <= since) throw invalid(["query", "until"], "must be after since");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    return c.json(await endpointStats(c.env, application.id, endpoint.id, since, until), 200);
  });

const HourlyStatsOut = z
  .object({
    data: z.array(
      z.object({
        hour: z
          .string()
          .openapi({ description: "Start of the hour (UTC)", example: "2026-12-02T15:00:00.000Z" }),
        success: z.number().int(),
        fail: z.number().int(),
      }),
    ),
  })
  .openapi("EndpointHourlyStatsOut");

/** The chart's longest range: 7 days, plus the hour a range not on the hour touches. */
export const HOURLY_MAX_RANGE_MS = 7 * 86_400_000 + 3_600_000;
const HOURLY_DEFAULT_RANGE_MS = 86_400_000;

const hourlyRoute = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats/hourly",
  operationId: "v1.endpoint.get-hourly-stats",
  tags: ["Endpoint"],
  summary: "Endpoint Hourly Stats",
  description:
    "Edgehook extension: the endpoint's delivery attempts per hour (successes and failures) for every " +
    "hour that [since, until) touches, oldest first (default: the last 24 hours; at most 7 days). " +
    "The consumer portal draws its delivery chart from it.",
  security,
  request: {
    params: appEndpointParams,
    query: z.object({ since: dateTime.optional(), until: dateTime.optional() }).strict(),
  },
  responses: {
    200: jsonResponse(HourlyStatsOut, "Attempts per hour"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerEndpointHourlyStats = (app: App) =>
  app.openapi(hourlyRoute, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const until = q.until ? Date.parse(q.until) : Date.now();
    const since = q.since ? Date.parse(q.since) : until - HOURLY_DEFAULT_RANGE_MS;
    if (until <= since) throw invalid(["query", "until"], "must be after since");
    if (until - since > HOURLY_MAX_RANGE_MS) throw invalid(["query", "since"], "the range is at most 7 days");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    const hours = await endpointHourlyStats(c.env, application.id, endpoint.id, since, until);
    return c.json({ data: hours.map((h) => ({ ...h, hour: new Date(h.hour).toISOString() })) }, 200);
  });
