import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { getAttempt } from "../../services/attempts";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { msgParams } from "../message/schema";
import { attemptIdParam, MessageAttemptOut, toAttemptOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
  operationId: "v1.message-attempt.get",
  tags: ["Message Attempt"],
  summary: "Get Attempt",
  security,
  request: {
    params: msgParams.extend({
      attempt_id: attemptIdParam,
    }),
  },
  responses: {
    200: jsonResponse(MessageAttemptOut, "The attempt"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetAttempt = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id, attempt_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    return c.json(toAttemptOut(await getAttempt(c.env, application.id, msg_id, attempt_id)), 200);
  });
