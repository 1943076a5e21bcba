import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { replaceEndpointHeaders } from "../../services/endpoint-headers";
import type { App } from "../../types";
import { errorResponses, jsonBody, noContent, security } from "../common";
import { EndpointHeadersIn, endpointParams } from "./schema";

const route = createRoute({
  method: "put",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  operationId: "v1.endpoint.update-headers",
  tags: ["Endpoint"],
  summary: "Update Endpoint Headers",
  description:
    "Replaces all custom headers. Headers Edgehook sets itself (host, content-*, user-agent, " +
    "connection-level headers, webhook-*, svix-*) are refused with 422.",
  security,
  request: { params: endpointParams, body: jsonBody(EndpointHeadersIn) },
  responses: { ...noContent, ...errorResponses },
});

export const registerUpdateEndpointHeaders = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await replaceEndpointHeaders({
      env: c.env,
      app: application,
      idOrUid: endpoint_id,
      headers: c.req.valid("json").headers,
    });
    return c.body(null, 204);
  });
