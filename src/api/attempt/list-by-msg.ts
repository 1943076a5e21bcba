import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../app";
import { paginationQuery } from "../../lib/pagination";
import { requireApplication } from "../../services/applications";
import { requireEndpoint } from "../../services/endpoints";
import { requireMessage } from "../../services/messages";
import { errorResponses, jsonResponse, security } from "../common";
import { msgParams, queryBool, timeRangeQuery } from "../message/schema";
import { attemptListPage } from "./page";
import { ListResponseMessageAttemptOut, statusCodeClassQuery, statusQuery } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
  operationId: "v1.message-attempt.list-by-msg",
  tags: ["Message Attempt"],
  summary: "List Attempts By Msg",
  description: "Lists a message's attempts, newest first.",
  security,
  request: {
    params: msgParams,
    query: paginationQuery.extend({
      status: statusQuery,
      status_code_class: statusCodeClassQuery,
      endpoint_id: z.string().min(1).max(256).optional(),
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

export const registerListAttemptsByMsg = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const application = await requireApplication(c.env.DB, app_id);
    const message = await requireMessage(c.env.DB, application.id, msg_id);
    const endpointId = q.endpoint_id
      ? (await requireEndpoint(c.env.DB, application.id, q.endpoint_id)).id
      : undefined;
    return c.json(await attemptListPage(c.env.DB, application.id, { msgId: message.id, endpointId }, q), 200);
  });
