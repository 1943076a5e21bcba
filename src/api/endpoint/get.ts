import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { EndpointOut, endpointParams, toEndpointOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
  operationId: "v1.endpoint.get",
  tags: ["Endpoint"],
  summary: "Get Endpoint",
  security,
  request: { params: endpointParams },
  responses: {
    200: jsonResponse(EndpointOut, "The endpoint"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    return c.json(toEndpointOut(await requireEndpoint(c.env.DB, application.id, endpoint_id)), 200);
  });
