import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EndpointState } from "../../src/endpoint-state/endpoint-state";
import type { DeliveryRef } from "../../src/queue/jobs";
import { createApp } from "../helpers";
import {
  asRef,
  drained,
  mockReceiver,
  pack,
  runDeliveries,
  sentDeliveries,
  sentJobs,
  spySendBatch,
  takeQueued,
} from "./consumer-helpers";
import { attemptRows, createEndpoint, createMessage, RECEIVER } from "./delivery-fixtures";

// The consumer and the endpoint's Durable Object together: throttled deliveries are deferred
// without an attempt (the log object queues them back), and each endpoint costs at most one
// object call per batch when healthy.

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

/**
 * Creates an app, the endpoints and `perEndpoint` messages, and returns the queue messages the
 * log object sent for them (`jobs`) and the deliveries they carry (`refs`).
 */
async function setUp(endpoints: Record<string, unknown>[], perEndpoint: number) {
  const send = spySendBatch();
  const app = await createApp();
  const eps = [];
  for (const [i, body] of endpoints.entries()) {
    // Every message fans out to every endpoint; the path tells the receiver mock which one it is.
    eps.push(await createEndpoint(app.id, { url: `${RECEIVER}/${i}`, ...body }));
  }
  for (let i = 0; i < perEndpoint; i++) await createMessage(app.id);
  await drained(app.id);
  const jobs = sentJobs(send).map((m) => m.body);
  const refs = sentDeliveries(send).map(asRef);
  send.mockClear();
  return { app, eps, jobs, refs, send };
}

describe("throttled delivery", () => {
  it("sends the burst, defers the rest without attempts, spread at the rate, with one object call", async () => {
    const { app, eps, jobs, refs, send } = await setUp([{ throttleRate: 2 }], 6);
    const ep = eps[0] as { id: string };
    const receiver = mockReceiver(() => new Response("ok", { status: 200 }));
    const { get, calls } = countObjectCalls();

    const { ids, result } = await runDeliveries(jobs);

    expect(receiver.requests).toHaveLength(2);
    expect(get).toHaveBeenCalledTimes(1);
    expect(calls).toEqual([{ endpointId: ep.id, method: "acquire" }]);
    // Every queue message is acked: the log object queues the 4 deferred deliveries back.
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    const back = await takeQueued(send, app.id);
    expect(back).toHaveLength(4);
    // 2/s: the 4 deferred come back 0.5 s apart from 0.5 s on (whole seconds on the queue).
    expect(back.map((b) => b.delaySeconds)).toEqual([1, 1, 2, 2]);
    for (const b of back) expect(b).toMatchObject({ e: ep.id, p: null, n: 0 });
    for (const r of refs) {
      const attempts = await attemptRows(app.id, r.m);
      const sent = receiver.requests.some((req) => req.headers.get("webhook-id") === r.m);
      const deferred = back.some((b) => b.m === r.m);
      expect(attempts).toHaveLength(sent ? 1 : 0);
      expect(sent !== deferred).toBe(true);
    }
  });

  it("defers returning deliveries behind the slots already promised", async () => {
    const { app, jobs, send } = await setUp([{ throttleRate: 1 }], 3);
    mockReceiver(() => new Response("ok", { status: 200 }));
    await runDeliveries(jobs);
    const first = await takeQueued(send, app.id);
    expect(first.map((b) => b.delaySeconds)).toEqual([1, 2]);
    // The two deferred ones back at once (early): no token yet, and slots 1 s and 2 s are taken.
    const again = await runDeliveries([pack(app.id, first.map(asRef))]);
    expect(again.result.explicitAcks).toEqual(again.ids);
    const second = await takeQueued(send, app.id);
    expect(second.map((b) => b.delaySeconds)).toEqual([3, 4]);
    expect(second.map(asRef).sort(byMsg)).toEqual(first.map(asRef).sort(byMsg));
  });

  it("makes no call for unlimited healthy endpoints and one per endpoint per batch otherwise", async () => {
    const { app, eps, jobs } = await setUp([{}, { throttleRate: 100 }, {}], 3);
    const [healthy, limited, failing] = eps.map((e) => e.id);
    mockReceiver((req) => new Response("", { status: req.url.endsWith("/2") ? 500 : 200 }));
    const { get, calls } = countObjectCalls();

    await runDeliveries(jobs);

    expect(get).toHaveBeenCalledTimes(2);
    expect(calls).toHaveLength(2);
    expect(calls).toContainEqual({ endpointId: limited, method: "acquire" });
    expect(calls).toContainEqual({ endpointId: failing, method: "report" });
    expect(calls.some((c) => c.endpointId === healthy)).toBe(false);
    await drained(app.id);
  });

  it("makes two calls for an endpoint that is both limited and failing (permits, then the report)", async () => {
    const { app, eps, jobs } = await setUp([{ throttleRate: 100 }], 2);
    mockReceiver(() => new Response("", { status: 503 }));
    const { calls } = countObjectCalls();
    await runDeliveries(jobs);
    const id = (eps[0] as { id: string }).id;
    expect(calls).toEqual([
      { endpointId: id, method: "acquire" },
      { endpointId: id, method: "report" },
    ]);
    await drained(app.id);
  });
});

const byMsg = (a: DeliveryRef, b: DeliveryRef) => (a.m < b.m ? -1 : a.m > b.m ? 1 : 0);
