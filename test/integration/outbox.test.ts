import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppLog } from "../../src/log/app-log";
import { createApp, json } from "../helpers";
import {
  drained,
  mockReceiver,
  pack,
  runDeliveries,
  type SentDelivery,
  sentDeliveries,
  spySendBatch,
} from "./consumer-helpers";
import { attemptRows, createEndpoint, inLog, postMessage } from "./delivery-fixtures";

// The log object is the outbox: whatever it committed and has not seen attempted, and every
// retry whose time has come, its alarm (tick) hands to the queue again, within
// OUTBOX_RECOVERY_SECONDS (60 s: a delivery is stale after 45 s without a job on its way).
const RECOVERY_MS = 60_000;

afterEach(() => {
  vi.restoreAllMocks();
});

async function message(appId: string, body: Record<string, unknown> = {}) {
  const res = await postMessage(appId, body);
  expect(res.status).toBe(202);
  return json<{ id: string }>(res);
}

const refOf = (d: SentDelivery) => ({ m: d.m, e: d.e, p: d.p, n: d.n, t: d.t });

describe("the log object's outbox", () => {
  it("re-enqueues a delivery whose queue send failed at ingest, within the recovery time", async () => {
    const spy = spySendBatch().mockRejectedValueOnce(new Error("queue unavailable"));
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const msg = await message(app.id);
    await drained(app.id);
    expect(spy).toHaveBeenCalledTimes(1);
    // Not yet stale: the tick leaves it (a normal queue lag must not produce copies)...
    expect(await inLog(app.id, (log) => log.tick(Date.now() + 1000))).toBe(0);
    // ...and hands it over once the recovery time has passed.
    expect(await inLog(app.id, (log) => log.tick(Date.now() + RECOVERY_MS))).toBe(1);
    // The spy saw the failed call too; the last one is the outbox's.
    expect(sentDeliveries(spy)).toHaveLength(2);
    expect(sentDeliveries(spy)[1]).toMatchObject({ m: msg.id, e: ep.id, p: null, n: 0 });
  });

  it("re-enqueues a retry whose follow-up send failed, and the redelivered old job sends nothing", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const msg = await message(app.id);
    await drained(app.id);
    const [first] = sentDeliveries(spy);
    const rx = mockReceiver((_req, i) => new Response("", { status: i === 0 ? 500 : 200 }));
    spy.mockRejectedValueOnce(new Error("queue unavailable"));
    const run = await runDeliveries([pack(app.id, [refOf(first as SentDelivery)])]);
    await drained(app.id);
    // The attempt was recorded, so the queue message is acked even though its retry was not queued.
    expect(run.result.explicitAcks).toEqual(run.ids);
    const [attempt] = await attemptRows(app.id, msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 500 });
    expect(attempt?.next_attempt_at).toBeGreaterThan(Date.now());
    // A redelivery of the first job (say the ack was lost) is dropped: its attempt is recorded.
    await runDeliveries([pack(app.id, [refOf(first as SentDelivery)])]);
    expect(rx.requests).toHaveLength(1);
    // The retry's time comes and it is overdue: the outbox queues it, following the recorded attempt.
    const due = (attempt?.next_attempt_at ?? 0) + RECOVERY_MS;
    expect(await inLog(app.id, (log) => log.tick(due))).toBe(1);
    const retry = sentDeliveries(spy).at(-1) as SentDelivery;
    expect(retry).toMatchObject({ m: msg.id, p: attempt?.id, n: 1, t: 0 });
    await runDeliveries([pack(app.id, [refOf(retry)])]);
    expect(rx.requests).toHaveLength(2);
    expect((await attemptRows(app.id, msg.id)).map((a) => [a.status, a.next_attempt_at])).toEqual([
      [2, null],
      [0, null],
    ]);
  });

  it("delivers all of 5,000 deliveries that were committed during a queue outage", async () => {
    const spy = spySendBatch().mockRejectedValue(new Error("queue outage"));
    const app = await createApp();
    const endpoints = [];
    for (let i = 0; i < 100; i++) endpoints.push(await createEndpoint(app.id));
    const messages = [];
    for (let i = 0; i < 50; i++) messages.push(await message(app.id, { payload: { i } }));
    await drained(app.id);
    spy.mockClear();
    spy.mockResolvedValue({} as QueueSendBatchResponse);
    expect(await inLog(app.id, (log) => log.tick(Date.now() + RECOVERY_MS))).toBe(5000);
    const sent = sentDeliveries(spy);
    expect(new Set(sent.map((d) => `${d.m}|${d.e}`)).size).toBe(5000);
    // Packed: a queue message carries many deliveries, sendBatch at most 100 messages.
    expect(spy.mock.calls.every(([batch]) => [...batch].length <= 100)).toBe(true);
    expect(spy.mock.calls.flatMap(([batch]) => [...batch]).length).toBeLessThanOrEqual(50);
    // A second tick right after finds them all on their way: no copies.
    expect(await inLog(app.id, (log) => log.tick(Date.now() + RECOVERY_MS + 1000))).toBe(0);
  });

  it("keeps a delivery the rate limit sent back, never sends it twice, and recovers it if its job is lost", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id, { throttleRate: 1 });
    const [a, b] = [await message(app.id), await message(app.id)];
    await drained(app.id);
    const rx = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([pack(app.id, sentDeliveries(spy).map(refOf))]);
    await drained(app.id);
    expect(rx.requests).toHaveLength(1);
    const deferred = sentDeliveries(spy).at(-1) as SentDelivery;
    expect(deferred.delaySeconds).toBeGreaterThanOrEqual(1);
    expect([a.id, b.id]).toContain(deferred.m);
    // Its deferral is on the queue: the outbox leaves it alone until it is overdue...
    expect(await inLog(app.id, (log) => log.tick(Date.now() + 5_000))).toBe(0);
    // ...then (its job was lost) queues it once more.
    expect(await inLog(app.id, (log) => log.tick(Date.now() + RECOVERY_MS + 5_000))).toBe(1);
    const copy = sentDeliveries(spy).at(-1) as SentDelivery;
    expect(copy).toMatchObject({ m: deferred.m, p: null });
    // Both the deferred job and the outbox copy arrive: one send.
    await new Promise((r) => setTimeout(r, 1100));
    await runDeliveries([pack(app.id, [refOf(deferred)]), pack(app.id, [refOf(copy)])]);
    await runDeliveries([pack(app.id, [refOf(deferred)])]);
    expect(rx.requests.filter((r) => r.headers.get("webhook-id") === deferred.m)).toHaveLength(1);
  });

  it("lets only one consumer hold a delivery: a concurrent claim of the same job is deferred", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    await message(app.id);
    await drained(app.id);
    const [d] = sentDeliveries(spy).map(refOf);
    const stub = env.APP_LOG.get(env.APP_LOG.idFromName(`${app.id}:0`));
    const ident = { appId: app.id, shard: 0 };
    const first = await stub.claim(ident, [d as NonNullable<typeof d>], 60_000);
    const second = await stub.claim(ident, [d as NonNullable<typeof d>], 60_000);
    expect(first.verdicts[0]?.kind).toBe("send");
    expect(second.verdicts[0]).toMatchObject({ kind: "defer" });
  });

  it("sets its alarm when it commits deliveries", async () => {
    spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    await message(app.id);
    const alarm = await inLog(app.id, (log) =>
      (log as unknown as { ctx: DurableObjectState }).ctx.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    expect(alarm).toBeLessThanOrEqual(Date.now() + RECOVERY_MS);
  });

  it("stops waking once every delivery was attempted: an idle object costs no alarms", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    await message(app.id);
    await drained(app.id);
    mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([pack(app.id, sentDeliveries(spy).map(refOf))]);
    const later = Date.now() + 2 * RECOVERY_MS;
    const alarm = await inLog(app.id, async (log) => {
      await log.tick(later);
      return (log as unknown as { ctx: DurableObjectState }).ctx.storage.getAlarm();
    });
    // The next wake is the oldest day's retention, not another outbox pass.
    expect(alarm).toBeGreaterThan(later + 86_400_000);
  });

  it("records the other log objects' outcomes when one log object fails to record", async () => {
    const spy = spySendBatch();
    const [appA, appB] = [await createApp(), await createApp()];
    await createEndpoint(appA.id);
    await createEndpoint(appB.id);
    const [ma, mb] = [await message(appA.id), await message(appB.id)];
    await Promise.all([drained(appA.id), drained(appB.id)]);
    const jobs = sentDeliveries(spy);
    const rx = mockReceiver(() => new Response("", { status: 200 }));
    const record = AppLog.prototype.record;
    vi.spyOn(AppLog.prototype, "record").mockImplementation(function (this: AppLog, ident, report) {
      if (ident.appId === appA.id) throw new Error("log object storage failed");
      return record.call(this, ident, report);
    });
    const byApp = (id: string) => jobs.filter((j) => j.appId === id).map(refOf);
    const run = await runDeliveries([pack(appA.id, byApp(appA.id)), pack(appB.id, byApp(appB.id))]);
    expect(run.result.retryMessages.map((m) => m.msgId)).toEqual([run.ids[0]]);
    expect(run.result.explicitAcks).toEqual([run.ids[1]]);
    expect(await attemptRows(appB.id, mb.id)).toHaveLength(1);
    expect(await attemptRows(appA.id, ma.id)).toHaveLength(0);
    expect(rx.requests).toHaveLength(2);
  });
});
