import { createRoute, z } from "@hono/zod-openapi";
import { invalid } from "../../errors";
import { requireApplication } from "../../services/applications";
import { endpointStats } from "../../services/attempts";
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
