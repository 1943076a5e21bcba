import { createRoute } from "@hono/zod-openapi";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { listEndpointPage } from "../../services/endpoints";
import type { App } from "../../types";
import { appIdParam } from "../application/schema";
import { errorResponses, jsonResponse, security } from "../common";
import { ListResponseEndpointOut, toEndpointOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/endpoint",
  operationId: "v1.endpoint.list",
  tags: ["Endpoint"],
  summary: "List Endpoints",
  security,
  request: { params: appIdParam, query: paginationQuery },
  responses: {
    200: jsonResponse(ListResponseEndpointOut, "A page of the application's endpoints"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerListEndpoints = (app: App) =>
  app.openapi(route, async (c) => {
    const application = await requireApplication(c.env.DB, c.req.valid("param").app_id);
    const page = pageRequest(c.req.valid("query"), "ascending");
    const rows = await listEndpointPage(c.env.DB, application.id, page);
    return c.json(
      listResponse(rows, page, (r) => r.id, toEndpointOut),
      200,
    );
  });
