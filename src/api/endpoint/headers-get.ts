import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { getEndpointHeaders } from "../../services/endpoint-headers";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { EndpointHeadersOut, endpointParams } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  operationId: "v1.endpoint.get-headers",
  tags: ["Endpoint"],
  summary: "Get Endpoint Headers",
  description:
    "The endpoint's custom headers. Values of sensitive headers (Authorization, Cookie, X-Api-Key, ...) " +
    "are never returned: those headers are listed by name in `sensitive` instead.",
  security,
  request: { params: endpointParams },
  responses: {
    200: jsonResponse(EndpointHeadersOut, "The custom headers"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetEndpointHeaders = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    return c.json(await getEndpointHeaders({ env: c.env, app: application, idOrUid: endpoint_id }), 200);
  });
