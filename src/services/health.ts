import { pingDatabase } from "../db/health";

// Svix's health report (svix-server, v1/endpoints/health.rs): one {status: "ok" | "error"}
// per component, 200 when all are ok, else 500. Svix reports database, queue and cache;
// Edgehook reports only what it can check. Cloudflare Queues have no ping (a test message
// would be consumed as a delivery job) and Edgehook has no cache, so neither is reported
// rather than reported "ok" without a check.
export type ComponentStatus = { status: "ok" | "error" };
export type HealthReport = { database: ComponentStatus };

async function check(probe: () => Promise<unknown>, component: string): Promise<ComponentStatus> {
  try {
    await probe();
    return { status: "ok" };
  } catch (err) {
    console.error("health check failed", component, err instanceof Error ? err.message : err);
    return { status: "error" };
  }
}

export async function healthReport(env: Env): Promise<{ healthy: boolean; report: HealthReport }> {
  const database = await check(() => pingDatabase(env.DB), "database");
  return { healthy: database.status === "ok", report: { database } };
}
