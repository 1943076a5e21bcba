import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { updateEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { EndpointOut, EndpointUpdate, endpointParams, toEndpointOut, withFilterTypes } from "./schema";

const route = createRoute({
  method: "put",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
  operationId: "v1.endpoint.update",
  tags: ["Endpoint"],
  summary: "Update Endpoint",
  description:
    "Replaces the endpoint's settings (its secret and headers are kept); an unknown uid creates it (201). " +
    "Enabling a disabled endpoint resets its failure record.",
  security,
  request: { params: endpointParams, body: jsonBody(EndpointUpdate) },
  responses: {
    200: jsonResponse(EndpointOut, "The updated endpoint"),
    201: jsonResponse(EndpointOut, "The created endpoint"),
    ...errorResponses,
  },
});

export const registerUpdateEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const { endpoint, created } = await updateEndpoint({
      env: c.env,
      app: application,
      idOrUid: endpoint_id,
      input: withFilterTypes(c.req.valid("json")),
    });
    return c.json(toEndpointOut(endpoint), created ? 201 : 200);
  });
