import { createRoute, z } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { resendDelivery } from "../../services/deliveries";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { msgParams } from "../message/schema";
import { endpointIdParam } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
  operationId: "v1.message-attempt.resend",
  tags: ["Message Attempt"],
  summary: "Resend Webhook",
  description: "Queues a new attempt (trigger type manual) of the message to one of its destinations.",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    params: msgParams.extend({ endpoint_id: endpointIdParam }),
  },
  responses: {
    202: jsonResponse(z.object({}).openapi("EmptyResponse"), "Queued"),
    401: errorResponses[401],
    404: errorResponses[404],
    409: errorResponses[409],
    422: errorResponses[422],
  },
});

export const registerResendMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    await resendDelivery(c.env, application.id, msg_id, endpoint.id);
    return c.json({}, 202);
  });
