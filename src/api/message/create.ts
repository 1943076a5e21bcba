import { createRoute, z } from "@hono/zod-openapi";
import { createMessage } from "../../services/messages";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { appIdParam, MessageIn, MessageOut, queryBool, toMessageOut } from "./schema";

const route = createRoute({
  method: "post",
  path: "/api/v1/app/{app_id}/msg",
  operationId: "v1.message.create",
  tags: ["Message"],
  summary: "Create Message",
  description:
    "Creates a message and fans it out to every enabled endpoint whose event type and channel filters " +
    "match. Answers 202 once the message and its deliveries are committed. A repeated `idempotency-key` " +
    "within 24 hours returns the original message and creates no new deliveries; a repeated `eventId` " +
    "is a 409. `deliverAt` schedules the deliveries (1 minute to 24 hours ahead).",
  security,
  request: {
    params: appIdParam,
    query: z.object({
      with_content: queryBool(true).openapi({
        type: "boolean",
        description: "Include the payload in the answer",
      }),
    }),
    headers: z.object({ "idempotency-key": z.string().min(1).max(256).optional() }),
    body: jsonBody(MessageIn),
  },
  responses: {
    202: jsonResponse(MessageOut, "The message (the original one for a repeated key)"),
    ...errorResponses,
  },
});

export const registerCreateMessage = (app: App) =>
  app.openapi(route, async (c) => {
    const { message } = await createMessage({
      env: c.env,
      appIdOrUid: c.req.valid("param").app_id,
      input: c.req.valid("json"),
      idempotencyKey: c.req.valid("header")["idempotency-key"] ?? null,
    });
    return c.json(toMessageOut(message, c.req.valid("query").with_content), 202);
  });
