import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { deleteEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { endpointParams } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
  operationId: "v1.endpoint.delete",
  tags: ["Endpoint"],
  summary: "Delete Endpoint",
  description: "Deletes the endpoint with its delivery attempts.",
  security,
  request: { params: endpointParams },
  responses: { ...noContent, 401: errorResponses[401], 404: errorResponses[404] },
});

export const registerDeleteEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await deleteEndpoint({ env: c.env, app: application, idOrUid: endpoint_id });
    return c.body(null, 204);
  });
