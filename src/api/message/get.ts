import { createRoute, z } from "@hono/zod-openapi";
import { requireApplication } from "../../services/applications";
import { requireMessage } from "../../services/messages";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { MessageOut, msgParams, queryBool, toMessageOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app/{app_id}/msg/{msg_id}",
  operationId: "v1.message.get",
  tags: ["Message"],
  summary: "Get Message",
  description: "Gets a message by its id or its eventId.",
  security,
  request: {
    params: msgParams,
    query: z.object({ with_content: queryBool(true).openapi({ type: "boolean" }) }).strict(),
  },
  responses: {
    200: jsonResponse(MessageOut, "The message"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const { app_id, msg_id } = c.req.valid("param");
    const application = await requireApplication(c.env.DB, app_id);
    const row = await requireMessage(c.env, application.id, msg_id);
    return c.json(toMessageOut(row, c.req.valid("query").with_content), 200);
  });
