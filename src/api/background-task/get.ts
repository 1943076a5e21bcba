import { createRoute, z } from "@hono/zod-openapi";
import { requireTask } from "../../services/deliveries";
import type { App } from "../../types";
import { pathIdSchema } from "../application/schema";
import { errorResponses, jsonResponse, portalAppId, security } from "../common";
import { BackgroundTaskOut, toBackgroundTaskOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/background-task/{task_id}",
  operationId: "v1.background-task.get",
  tags: ["Background Tasks"],
  summary: "Get Background Task",
  description: "A background task (endpoint.recover) and its status.",
  security,
  request: {
    params: z.object({
      task_id: pathIdSchema.openapi({ param: { name: "task_id", in: "path" } }),
    }),
  },
  responses: {
    200: jsonResponse(BackgroundTaskOut, "The task"),
    401: errorResponses[401],
    404: errorResponses[404],
  },
});

export const registerGetBackgroundTask = (app: App) =>
  app.openapi(route, async (c) =>
    c.json(
      toBackgroundTaskOut(
        await requireTask(c.env.DB, c.req.valid("param").task_id, portalAppId(c.get("auth"))),
      ),
      200,
    ),
  );
