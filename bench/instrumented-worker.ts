// Benchmark-only Worker entry (bench/wrangler.bench.toml): the real worker from src/index.ts
// with every binding wrapped in counting proxies, plus two routes that exist only here:
//   GET  /__bench/counters  the counters of this isolate as JSON
//   POST /__bench/reset     zero them
// Nothing in src/ knows about it, so production code pays nothing for the measurement.
import worker, { EndpointState as RealEndpointState } from "../src/index";
import {
  bump,
  counters,
  currentBatch,
  currentLabel,
  finishBatch,
  resetCounters,
  snapshot,
} from "./instrument/counters";
import { countReceivedCalls, instrumentState } from "./instrument/durable-objects";
import { countOutboundFetch, wrapEnv } from "./instrument/env";
import { trackBatch } from "./instrument/queue";

const handler = worker as ExportedHandler<Env, unknown>;

countOutboundFetch();

export class EndpointState extends RealEndpointState {
  constructor(ctx: DurableObjectState, env: Env) {
    super(instrumentState(ctx), wrapEnv(env, "do"));
    counters.durableObjects.instances += 1;
  }
}
countReceivedCalls(EndpointState, RealEndpointState);

function benchRoute(request: Request): Response | null {
  const { pathname } = new URL(request.url);
  if (pathname === "/__bench/counters" && request.method === "GET") return Response.json(snapshot());
  if (pathname === "/__bench/reset" && request.method === "POST") {
    resetCounters();
    return Response.json(snapshot());
  }
  return null;
}

export default {
  fetch(request, env, ctx) {
    const bench = benchRoute(request);
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
