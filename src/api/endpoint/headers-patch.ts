import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { patchEndpointHeaders } from "../../services/endpoint-headers";
import type { App } from "../../types";
import { errorResponses, jsonBody, noContent, security } from "../common";
import { EndpointHeadersPatchIn, endpointParams } from "./schema";

const route = createRoute({
  method: "patch",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  operationId: "v1.endpoint.patch-headers",
  tags: ["Endpoint"],
  summary: "Patch Endpoint Headers",
  description: "Sets the given headers and removes those whose value is `null`; others are kept.",
  security,
  request: { params: endpointParams, body: jsonBody(EndpointHeadersPatchIn) },
  responses: { ...noContent, ...errorResponses },
});

export const registerPatchEndpointHeaders = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await patchEndpointHeaders({
      env: c.env,
      app: application,
      idOrUid: endpoint_id,
      headers: c.req.valid("json").headers,
    });
    return c.body(null, 204);
  });
