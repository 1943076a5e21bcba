import { createRoute } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { expungeMessageContent } from "../../services/messages";
import type { App } from "../../types";
import { errorResponses, noContent, security } from "../common";
import { msgParams } from "./schema";

const route = createRoute({
  method: "delete",
  path: "/api/v1/app/{app_id}/msg/{msg_id}/content",
  operationId: "v1.message.expunge-content",
  tags: ["Message"],
  summary: "Delete message payload",
  description:
    "Deletes the message's payload at once; the message and its attempts are kept. Its pending " +
    "deliveries end as failed instead of sending the payload, including queued retries.",
  security,
  request: { params: msgParams },
  responses: { ...noContent, 401: errorResponses[401], 404: errorResponses[404] },
});

export const registerExpungeMessageContent = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    await expungeMessageContent(c.env, application.id, msg_id);
    return c.body(null, 204);
  });
