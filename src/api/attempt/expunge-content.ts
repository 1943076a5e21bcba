import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { expungeAttemptContent } from "../../services/attempts";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { msgParams } from "../message/schema";
import { attemptIdParam } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
  operationId: "v1.message-attempt.expunge-content",
  tags: ["Message Attempt"],
  summary: "Expunge Attempt Content",
  description: "Deletes the attempt's response body (an endpoint answered with something sensitive).",
  security,
  request: { params: msgParams.extend({ attempt_id: attemptIdParam }) },
  responses: { ...noContent, 401: errorResponses[401], 404: errorResponses[404] },
});

export const registerExpungeAttemptContent = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id, attempt_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await expungeAttemptContent(c.env, application.id, msg_id, attempt_id);
    return c.body(null, 204);
  });
