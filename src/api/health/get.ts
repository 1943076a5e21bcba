import { createRoute, z } from "@hono/zod-openapi";
import { healthReport } from "../../services/health";
import type { App } from "../../types";

const componentStatus = z.object({ status: z.enum(["ok", "error"]) });
const report = z.object({ database: componentStatus }).openapi("HealthReport");

const route = createRoute({
  method: "get",
  path: "/api/v1/health",
  operationId: "v1.health.get",
  tags: ["Health"],
  summary: "Health",
  description:
    "Verify the API server is up and running: checks D1 and reports each component, as Svix does " +
    "(200 when all are ok, 500 naming the failed one). Answers without authentication.",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: report } } },
    500: { description: "A component failed", content: { "application/json": { schema: report } } },
  },
});

const pingRoute = createRoute({
  method: "get",
  path: "/api/v1/health/ping",
  tags: ["Health"],
  summary: "Ping",
  description: "Answers 204 without touching any binding (liveness only).",
  responses: { 204: { description: "Pong" } },
});

export const registerHealth = (app: App) => {
  app.openapi(route, async (c) => {
    const { healthy, report } = await healthReport(c.env);
    return healthy ? c.json(report, 200) : c.json(report, 500);
  });
  app.openapi(pingRoute, (c) => c.body(null, 204));
};
