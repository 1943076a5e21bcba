import { createRoute, z } from "@hono/zod-openapi";
import { invalid } from "../../errors";
import { requireApplication } from "../../services/applications";
import { recoverEndpoint } from "../../services/deliveries";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { appEndpointParams } from "../attempt/schema";
import { RecoverOut, toRecoverOut } from "../background-task/schema";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { dateTime } from "../message/schema";

const RecoverIn = z
  .object({
    since: dateTime,
    until: dateTime.nullish(),
  })
  .openapi("RecoverIn");

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
  operationId: "v1.endpoint.recover",
  tags: ["Endpoint"],
  summary: "Recover Failed Webhooks",
  description:
    "Queues a new attempt (trigger type manual) of every delivery to this endpoint whose latest attempt " +
    "failed, for messages created between `since` and `until` (default: now), as a background task: " +
    "follow it at /api/v1/background-task/{task_id}.",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    params: appEndpointParams,
    body: jsonBody(RecoverIn),
  },
  responses: { 202: jsonResponse(RecoverOut, "The recovery was queued"), ...errorResponses },
});

export const registerRecoverEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const since = Date.parse(body.since);
    const until = body.until ? Date.parse(body.until) : Date.now();
    if (until <= since) throw invalid(["body", "until"], "must be after since");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    const task = await recoverEndpoint(c.env, application.id, endpoint.id, { since, until });
    return c.json(toRecoverOut(task), 202);
  });
