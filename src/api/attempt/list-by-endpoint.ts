import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../app";
import { listAttempts } from "../../db/attempts";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { requireEndpoint } from "../../services/endpoints";
import { errorResponses, jsonResponse, security } from "../common";
import { idRange, timeRangeQuery } from "../message/list";
import { queryBool } from "../message/schema";
import {
  appEndpointParams,
  ListResponseMessageAttemptOut,
  statusCodeClassQuery,
  statusQuery,
  toAttemptOut,
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
    const page = pageRequest(q, "descending");
    const rows = await listAttempts(
      c.env.DB,
      application.id,
      {
        endpointId: endpoint.id,
        status: q.status,
        statusCodeClass: q.status_code_class,
        ...idRange("atmpt", q),
        cursor: page.cursor,
      },
      page.direction,
      page.limit,
    );
    return c.json(
      listResponse(
        rows,
        page,
        (r) => r.id,
        (r) => toAttemptOut(r, q.with_content),
      ),
      200,
    );
  });
