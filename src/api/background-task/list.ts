import { createRoute } from "@hono/zod-openapi";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { listBackgroundTasks } from "../../services/deliveries";
import type { App } from "../../types";
import { errorResponses, jsonResponse, portalAppId, security } from "../common";
import {
  backgroundTaskStatus,
  backgroundTaskType,
  ListResponseBackgroundTaskOut,
  toBackgroundTaskOut,
} from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/background-task",
  operationId: "v1.background-task.list",
  tags: ["Background Tasks"],
  summary: "List Background Tasks",
  description: "Lists background tasks, newest first.",
  security,
  request: {
    query: paginationQuery
      .extend({ status: backgroundTaskStatus.optional(), task: backgroundTaskType.optional() })
      .strict(),
  },
  responses: {
    200: jsonResponse(ListResponseBackgroundTaskOut, "A page of tasks"),
    401: errorResponses[401],
    422: errorResponses[422],
  },
});

export const registerListBackgroundTasks = (app: App) =>
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const page = pageRequest(q, "descending");
    const rows = await listBackgroundTasks(c.env.DB, {
      status: q.status,
      task: q.task,
      appId: portalAppId(c.get("auth")),
      cursor: page.cursor,
      direction: page.direction,
      limit: page.limit,
    });
    return c.json(
      listResponse(
        rows,
        page,
        (r) => r.id,
        (r) => toBackgroundTaskOut(r),
      ),
      200,
    );
  });
