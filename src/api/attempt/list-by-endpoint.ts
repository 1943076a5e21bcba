import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../app";
import { paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { requireEndpoint } from "../../services/endpoints";
import { errorResponses, jsonResponse, security } from "../common";
import { queryBool, timeRangeQuery } from "../message/schema";
import { attemptListPage } from "./page";
import {
  appEndpointParams,
  ListResponseMessageAttemptOut,
  statusCodeClassQuery,
  statusQuery,
} from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
  operationId: "v1.message-attempt.list-by-endpoint",
  tags: ["Message Attempt"],
  summary: "List Attempts By Endpoint",
  description: "Lists an endpoint's attempts, newest first.",
  security,
  request: {
    params: appEndpointParams,
    query: paginationQuery.extend({
      status: statusQuery,
      status_code_class: statusCodeClassQuery,
      with_content: queryBool(true).openapi({ type: "boolean" }),
      ...timeRangeQuery,
    }),
  },
  responses: {
    200: jsonResponse(ListResponseMessageAttemptOut, "A page of attempts"),
    401: errorResponses[401],
    404: errorResponses[404],
    422: errorResponses[422],
  },
});

export const registerListAttemptsByEndpoint = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const application = await requireApplication(c.env.DB, app_id);
    const endpoint = await requireEndpoint(c.env.DB, application.id, endpoint_id);
    return c.json(await attemptListPage(c.env.DB, application.id, { endpointId: endpoint.id }, q), 200);
  });
