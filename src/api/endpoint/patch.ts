import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { patchEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { EndpointOut, EndpointPatch, endpointParams, toEndpointOut, withFilterTypes } from "./schema";

const route = createRoute({
  method: "patch",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
  operationId: "patch_endpoint",
  tags: ["Endpoint"],
  summary: "Patch Endpoint",
  description: "Changes only the fields given; `null` clears a nullable field.",
  security,
  request: { params: endpointParams, body: jsonBody(EndpointPatch) },
  responses: {
    200: jsonResponse(EndpointOut, "The updated endpoint"),
    ...errorResponses,
  },
});

export const registerPatchEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const row = await patchEndpoint({
      env: c.env,
      app: application,
      idOrUid: endpoint_id,
      input: withFilterTypes(c.req.valid("json")),
    });
    return c.json(toEndpointOut(row), 200);
  });
