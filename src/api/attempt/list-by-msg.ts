import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { listAttemptsByMessage } from "../../services/attempts";
import { requireEndpoint } from "../../services/endpoints";
import type { App } from "../../types";
import { pathIdSchema } from "../application/schema";
import { errorResponses, jsonResponse, security } from "../common";
import { msgParams } from "../message/schema";
import { attemptListQuery, attemptListRequest, attemptPage } from "./page";
import { ListResponseMessageAttemptOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
  operationId: "v1.message-attempt.list-by-msg",
  tags: ["Message Attempt"],
  summary: "List Attempts By Msg",
  description:
    "Lists a message's attempts, newest first. Each attempt's status is its own: success (0) or fail (2).",
  security,
  request: {
    params: msgParams,
    query: attemptListQuery.extend({ endpoint_id: pathIdSchema.optional() }).strict(),
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
    const endpointId = q.endpoint_id
      ? (await requireEndpoint(c.env.DB, application.id, q.endpoint_id)).id
      : undefined;
    const { page, filter } = attemptListRequest(q);
    const rows = await listAttemptsByMessage(
      c.env,
      application.id,
      msg_id,
      { ...filter, endpointId },
      page.direction,
      page.limit,
    );
    return c.json(attemptPage(rows, q), 200);
  });
