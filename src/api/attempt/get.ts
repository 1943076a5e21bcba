import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../app";
import { getAttempt } from "../../db/attempts";
import { notFound } from "../../errors";
import { requireApplication } from "../../services/applications";
import { requireMessage } from "../../services/messages";
import { errorResponses, jsonResponse, security } from "../common";
import { msgParams } from "../message/schema";
import { MessageAttemptOut, toAttemptOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
  operationId: "v1.message-attempt.get",
  tags: ["Message Attempt"],
  summary: "Get Attempt",
  security,
  request: {
    params: msgParams.extend({
      attempt_id: z
        .string()
        .min(1)
        .max(256)
        .openapi({ param: { name: "attempt_id", in: "path" } }),
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
    const message = await requireMessage(c.env.DB, application.id, msg_id);
    const row = await getAttempt(c.env.DB, application.id, message.id, attempt_id);
    if (!row) throw notFound("Message attempt");
    return c.json(toAttemptOut(row), 200);
  });
