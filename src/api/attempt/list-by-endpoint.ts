import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { listAttemptsByEndpoint } from "../../services/attempts";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { attemptListQuery, attemptListRequest, attemptPage, withMsgQuery } from "./page";
import { appEndpointParams, ListResponseMessageAttemptOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
  operationId: "v1.message-attempt.list-by-endpoint",
  tags: ["Message Attempt"],
  summary: "List Attempts By Endpoint",
  description:
    "Lists an endpoint's attempts, newest first. Each attempt's status is its own: success (0) or fail (2).",
  security,
  request: { params: appEndpointParams, query: attemptListQuery.extend(withMsgQuery).strict() },
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
    const { page, filter } = attemptListRequest(q);
    const rows = await listAttemptsByEndpoint(
      c.env,
      application.id,
      endpoint.id,
      filter,
      page.direction,
      page.limit,
      q.with_msg,
    );
    return c.json(attemptPage(rows, q), 200);
  });
