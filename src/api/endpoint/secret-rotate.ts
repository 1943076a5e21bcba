import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { rotateEndpointSecret } from "../../services/endpoint-secrets";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { IdempotencyKeyHeader, idempotency } from "../idempotency";
import { EndpointSecretRotateIn, endpointParams } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
  operationId: "v1.endpoint.rotate-secret",
  tags: ["Endpoint"],
  summary: "Rotate Endpoint Secret",
  description:
    "Makes `key` (or a new secret) current. The previous secret keeps signing alongside it for " +
    "`gracePeriodSeconds` (default 24 hours), so receivers can switch without rejecting deliveries. " +
    "A generated key has the current key's scheme unless `signatureScheme` names one (`v1a`: Ed25519); " +
    "during the overlap each key signs in its own scheme.",
  security,
  middleware: [idempotency()] as const,
  request: {
    headers: IdempotencyKeyHeader,
    params: endpointParams,
    // The svix client may send an empty body; every field is optional.
    body: { required: false, content: { "application/json": { schema: EndpointSecretRotateIn } } },
  },
  responses: { ...noContent, ...errorResponses },
});

export const registerRotateEndpointSecret = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await rotateEndpointSecret({
      env: c.env,
      app: application,
      idOrUid: endpoint_id,
      input: c.req.valid("json") ?? {},
    });
    return c.body(null, 204);
  });
