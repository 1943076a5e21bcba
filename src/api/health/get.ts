import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../types";

const route = createRoute({
  method: "get",
  path: "/api/v1/health",
  operationId: "v1.health.get",
  tags: ["Health"],
  summary: "Health",
  description: "Answers 204 without authentication.",
  responses: { 204: { description: "Healthy" } },
});

const pingRoute = createRoute({
  method: "get",
  path: "/api/v1/health/ping",
  tags: ["Health"],
  summary: "Ping",
  responses: {
    200: {
      description: "Pong",
      content: { "application/json": { schema: z.object({ ok: z.boolean() }) } },
    },
  },
});

export const registerHealth = (app: App) => {
  app.openapi(route, (c) => c.body(null, 204));
  app.openapi(pingRoute, (c) => c.json({ ok: true }, 200));
};
