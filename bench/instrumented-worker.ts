// Benchmark-only Worker entry (bench/wrangler.bench.toml): the real worker from src/index.ts
// with every binding wrapped in counting proxies, plus routes that exist only here:
//   GET  /__bench/counters                the counters of this isolate as JSON
//   POST /__bench/reset                   zero them
//   POST /__bench/storage {appId}         the log object's storageBytes() and row counts
//   POST /__bench/lifecycle {appId, now}  the log object's tick(now) (retention and purges at
//                                          clock `now`), counted like the alarm it stands for
// Nothing in src/ knows about it, so production code pays nothing for the measurement.
import worker, { AppLog as RealAppLog, EndpointState as RealEndpointState } from "../src/index";
import {
  bump,
  counters,
  currentBatch,
  currentLabel,
  finishBatch,
  resetCounters,
  snapshot,
} from "./instrument/counters";
import { countReceivedCalls, instrumentState, uncountedSql } from "./instrument/durable-objects";
import { countOutboundFetch, wrapEnv } from "./instrument/env";
import { trackBatch } from "./instrument/queue";

const handler = worker as ExportedHandler<Env, unknown>;

countOutboundFetch();

export class EndpointState extends RealEndpointState {
  constructor(ctx: DurableObjectState, env: Env) {
    super(instrumentState(ctx, "EndpointState"), wrapEnv(env, "do"));
  }
}
countReceivedCalls(EndpointState, RealEndpointState, "EndpointState");

/** What a log object holds: rows per table kind, read without counting (benchmark only). */
export interface LogInventory {
  bytes: number;
  days: number;
  /** Single-row messages plus those packed in pages. */
  messages: number;
  keys: number;
  /** Single-row attempts plus those packed in pages. */
  attempts: number;
  waiting: number;
  /** Messages whose payload purge (purge_at) is still to do. */
  purgePending: number;
}

export class AppLog extends RealAppLog {
  constructor(ctx: DurableObjectState, env: Env) {
    super(instrumentState(ctx, "AppLog"), wrapEnv(env, "do"));
  }

  /** Benchmark-only (not a method of the real class, so never counted). */
  benchInventory(): LogInventory {
    const sql = uncountedSql(this.ctx.storage);
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name);
    const rows = (name: string, where = "") =>
      Number(sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}" ${where}`).one().n);
    const sum = (prefix: string, where = "") =>
      tables.filter((t) => t.startsWith(prefix)).reduce((n, t) => n + rows(t, where), 0);
    // Packed attempts and messages: a page row holds a JSON array of them.
    const packed = (name: string) =>
      Number(
        sql.exec<{ n: number }>(`SELECT coalesce(sum(json_array_length(items)), 0) AS n FROM "${name}"`).one()
          .n,
      );
    return {
      bytes: sql.databaseSize,
      days: tables.filter((t) => t.startsWith("msg_")).length,
      messages: sum("msg_") + tables.filter((t) => t.startsWith("mpage_")).reduce((n, t) => n + packed(t), 0),
      keys: sum("key_"),
      attempts: sum("att_") + tables.filter((t) => t.startsWith("page_")).reduce((n, t) => n + packed(t), 0),
      waiting: tables.includes("waiting") ? rows("waiting") : 0,
      purgePending: sum("msg_", "WHERE purge_at IS NOT NULL"),
    };
  }
}
// storageBytes, drained and attemptRow exist for tests and the benchmark: not counted.
countReceivedCalls(AppLog, RealAppLog, "AppLog", new Set(["storageBytes", "drained", "attemptRow"]));

/** The application's shard 0 log object, through the given env. */
function logStub(env: Env, appId: string) {
  return env.APP_LOG.get(env.APP_LOG.idFromName(`${appId}:0`));
}

async function readJson(request: Request): Promise<Record<string, unknown>> {
  try {
    return (await request.json()) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function benchRoute(request: Request, env: Env): Promise<Response | null> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith("/__bench/")) return null;
  if (pathname === "/__bench/counters" && request.method === "GET") return Response.json(snapshot());
  if (pathname === "/__bench/reset" && request.method === "POST") {
    resetCounters();
    return Response.json(snapshot());
  }
  if ((pathname === "/__bench/storage" || pathname === "/__bench/lifecycle") && request.method === "POST") {
    const body = await readJson(request);
    if (typeof body.appId !== "string") return Response.json({ error: "appId required" }, { status: 400 });
    // The raw binding: these reads are the benchmark's, not the system's.
    const raw = logStub(env, body.appId) as unknown as DurableObjectStub<AppLog>;
    if (pathname === "/__bench/storage") {
      const [storageBytes, inventory] = await Promise.all([raw.storageBytes(), raw.benchInventory()]);
      return Response.json({ storageBytes, ...inventory });
    }
    if (typeof body.now !== "number") return Response.json({ error: "now required" }, { status: 400 });
    const before = await raw.benchInventory();
    // Through the counting env: the tick stands for the alarm that runs it in production (a
    // billed Durable Object request), and its rows are the deletion's cost.
    const enqueued = await logStub(wrapEnv(env, "scheduled"), body.appId).tick(body.now);
    const after = await raw.benchInventory();
    return Response.json({ enqueued, before, after });
  }
  return Response.json({ error: "no such bench route" }, { status: 404 });
}

export default {
  async fetch(request, env, ctx) {
    const bench = await benchRoute(request, env);
    if (bench) return bench;
    if (!handler.fetch) return new Response("no fetch handler", { status: 500 });
    const fetchHandler = handler.fetch;
    counters.invocations.fetch += 1;
    return currentLabel.run("fetch", async () => {
      const response = await fetchHandler(request, wrapEnv(env, "fetch"), ctx);
      bump(counters.responses, `${Math.floor(response.status / 100)}xx`);
      return response;
    });
  },

  async queue(batch, env, ctx) {
    const queueHandler = handler.queue;
    if (!queueHandler) throw new Error("src/index.ts has no queue handler");
    counters.invocations.queue += 1;
    const tracked = trackBatch(batch);
    try {
      await currentLabel.run("queue", () =>
        currentBatch.run(tracked.stats, () => queueHandler(tracked.batch, wrapEnv(env, "queue"), ctx)),
      );
      tracked.settle(true);
    } catch (error) {
      tracked.settle(false);
      throw error;
    } finally {
      finishBatch(tracked.stats);
    }
  },

  async scheduled(controller, env, ctx) {
    const scheduledHandler = handler.scheduled;
    if (!scheduledHandler) return;
    counters.invocations.scheduled += 1;
    await currentLabel.run("scheduled", () => scheduledHandler(controller, wrapEnv(env, "scheduled"), ctx));
  },
} satisfies ExportedHandler<Env, unknown>;
