import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { getEndpointSecret } from "../../services/endpoint-secrets";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { EndpointSecretOut, endpointParams } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
  operationId: "v1.endpoint.get-secret",
  tags: ["Endpoint"],
  summary: "Get Endpoint Secret",
  description:
    "What the receiver verifies signatures with: the current `whsec_` secret (`v1`), or the `whpk_` " +
    "public key of a current `v1a` Ed25519 key (its `whsk_` secret key is never answered).",
  security,
  request: { params: endpointParams },
  responses: {
    200: jsonResponse(EndpointSecretOut, "The endpoint's current secret or public key"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetEndpointSecret = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const key = await getEndpointSecret({ env: c.env, app: application, idOrUid: endpoint_id });
    return c.json({ key }, 200);
  });
