import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob } from "../../src/delivery/jobs";
import type { EndpointState } from "../../src/endpoint-state/endpoint-state";
import { createApp } from "../helpers";
import { mockReceiver, runDeliveries, sentJobs, spySendBatch } from "./consumer-helpers";
import { attemptRows, createEndpoint, createMessage, RECEIVER } from "./delivery-fixtures";

// The consumer and the endpoint's Durable Object together: throttled deliveries are deferred
// without an attempt, and each endpoint costs at most one object call per batch when healthy.

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the namespace's get() and each RPC method called on the stubs it returns, by endpoint. */
function countObjectCalls() {
  const ns = env.ENDPOINT_STATE;
  const realGet = ns.get.bind(ns);
  const realIdFromName = ns.idFromName.bind(ns);
  const names = new Map<string, string>();
  const calls: { endpointId: string; method: string }[] = [];
  vi.spyOn(ns, "idFromName").mockImplementation((name: string) => {
    const id = realIdFromName(name);
    names.set(id.toString(), name);
    return id;
  });
  const get = vi.spyOn(ns, "get").mockImplementation((id: DurableObjectId) => {
    const stub = realGet(id);
    const endpointId = names.get(id.toString()) ?? "?";
    const record =
      <K extends "acquire" | "report" | "reset">(method: K) =>
      (...args: Parameters<EndpointState[K]>) => {
        calls.push({ endpointId, method });
        return (stub[method] as (...a: unknown[]) => unknown)(...args);
      };
    return {
      acquire: record("acquire"),
      report: record("report"),
      reset: record("reset"),
    } as unknown as DurableObjectStub<EndpointState>;
  });
  return { get, calls };
}

/** Creates an app, the endpoints and `perEndpoint` messages, and returns the delivery jobs. */
async function setUp(endpoints: Record<string, unknown>[], perEndpoint: number) {
  const send = spySendBatch();
  const app = await createApp();
  const eps = [];
  for (const [i, body] of endpoints.entries()) {
    // Every message fans out to every endpoint; the path tells the receiver mock which one it is.
    eps.push(await createEndpoint(app.id, { url: `${RECEIVER}/${i}`, ...body }));
  }
  for (let i = 0; i < perEndpoint; i++) await createMessage(app.id);
  const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
  send.mockClear();
  return { app, eps, jobs, send };
}

describe("throttled delivery", () => {
  it("sends the burst, defers the rest without attempts, spread at the rate, with one object call", async () => {
    const { app, eps, jobs } = await setUp([{ throttleRate: 2 }], 6);
    const ep = eps[0] as { id: string };
    const receiver = mockReceiver(() => new Response("ok", { status: 200 }));
    const { get, calls } = countObjectCalls();

    const { result, retryDelays } = await runDeliveries(jobs);

    expect(receiver.requests).toHaveLength(2);
    expect(get).toHaveBeenCalledTimes(1);
    expect(calls).toEqual([{ endpointId: ep.id, method: "acquire" }]);
    expect(result.retryMessages).toHaveLength(4);
    // 2/s: the 4 deferred come back 0.5 s apart from 0.5 s on (whole seconds on the queue).
    const delays = result.retryMessages.map((r) => retryDelays[r.msgId]);
    expect(delays).toEqual([1, 1, 2, 2]);
    for (const job of jobs) {
      const attempts = await attemptRows(app.id, job.msgId);
      const sent = receiver.requests.some((r) => r.headers.get("webhook-id") === job.msgId);
      expect(attempts).toHaveLength(sent ? 1 : 0);
    }
  });

  it("defers returning deliveries behind the slots already promised", async () => {
    const { jobs } = await setUp([{ throttleRate: 1 }], 3);
    mockReceiver(() => new Response("ok", { status: 200 }));
    const first = await runDeliveries(jobs);
    const firstDelays = first.result.retryMessages.map((r) => first.retryDelays[r.msgId] ?? 0);
    expect(firstDelays).toEqual([1, 2]);
    // The two deferred ones back at once (early): no token yet, and slots 1 s and 2 s are taken.
    const again = await runDeliveries(jobs.slice(1));
    const againDelays = again.result.retryMessages.map((r) => again.retryDelays[r.msgId] ?? 0);
    expect(againDelays).toEqual([3, 4]);
  });

  it("makes no call for unlimited healthy endpoints and one per endpoint per batch otherwise", async () => {
    const { eps, jobs } = await setUp([{}, { throttleRate: 100 }, {}], 3);
    const [healthy, limited, failing] = eps.map((e) => e.id);
    mockReceiver((req) => new Response("", { status: req.url.endsWith("/2") ? 500 : 200 }));
    const { get, calls } = countObjectCalls();

    await runDeliveries(jobs);

    expect(get).toHaveBeenCalledTimes(2);
    expect(calls).toHaveLength(2);
    expect(calls).toContainEqual({ endpointId: limited, method: "acquire" });
    expect(calls).toContainEqual({ endpointId: failing, method: "report" });
    expect(calls.some((c) => c.endpointId === healthy)).toBe(false);
  });

  it("makes two calls for an endpoint that is both limited and failing (permits, then the report)", async () => {
    const { eps, jobs } = await setUp([{ throttleRate: 100 }], 2);
    mockReceiver(() => new Response("", { status: 503 }));
    const { calls } = countObjectCalls();
    await runDeliveries(jobs);
    const id = (eps[0] as { id: string }).id;
    expect(calls).toEqual([
      { endpointId: id, method: "acquire" },
      { endpointId: id, method: "report" },
    ]);
  });
});
