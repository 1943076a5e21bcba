import { createRoute, z } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { sendExample } from "../../services/deliveries";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { appEndpointParams } from "../attempt/schema";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { EXAMPLE_INDEX_MAX } from "../limits";
import { eventTypeName, MessageOut, toMessageOut } from "../message/schema";

const EventExampleIn = z
  .object({
    eventType: eventTypeName,
    exampleIndex: z.number().int().min(0).max(EXAMPLE_INDEX_MAX).optional().openapi({ default: 0 }),
  })
  .openapi("EventExampleIn");

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
  operationId: "v1.endpoint.send-example",
  tags: ["Endpoint"],
  summary: "Send Event Type Example Message",
  description:
    "Sends the event type's example payload (from its latest schema's `examples`; `svix.ping` sends " +
    '`{"success": true}`) to this endpoint only, as a real message.',
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    params: appEndpointParams,
    body: jsonBody(EventExampleIn),
  },
  responses: { 200: jsonResponse(MessageOut, "The message sent"), ...errorResponses },
});

export const registerSendExample = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    const message = await sendExample(
      c.env,
      application.id,
      endpoint,
      body.eventType,
      body.exampleIndex ?? 0,
    );
    return c.json(toMessageOut(message, true), 200);
  });
