import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EndpointState } from "../../src/endpoint-state/endpoint-state";
import { AppLog } from "../../src/log/app-log";
import type { DeliveriesJob, DeliveryRef, QueueJob } from "../../src/queue/jobs";
import { MAX_QUEUE_DELAY_SECONDS } from "../../src/queue/limits";
import { api, createApp } from "../helpers";
import {
  asRef,
  drained,
  mockReceiver,
  pack,
  runDeliveries,
  runQueue,
  sentDeliveries,
  sentJobs,
  spySendBatch,
  takeQueued,
} from "./consumer-helpers";
import {
  attemptRows,
  createEndpoint,
  createMessage,
  endpointAttempts,
  inLog,
  latestAttempt,
  RECEIVER,
  SECRET,
} from "./delivery-fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

/** An app, an endpoint and a committed message, with the delivery its log object queued. */
async function delivery(
  endpointBody: Record<string, unknown> = {},
  messageBody: Record<string, unknown> = {},
) {
  const send = spySendBatch();
  const app = await createApp();
  const ep = await createEndpoint(app.id, endpointBody);
  const msg = await createMessage(app.id, messageBody);
  const queued = await takeQueued(send, app.id);
  expect(queued).toHaveLength(1);
  const first = asRef(queued[0] as DeliveryRef);
  /** The packed queue message of this delivery's job; `extra` sets p, n and t. */
  const job = (extra: Partial<DeliveryRef> = {}): DeliveriesJob => pack(app.id, [{ ...first, ...extra }]);
  /** The id of the delivery's latest attempt (what its next job follows). */
  const latestId = async () => (await latestAttempt(app.id, msg.id, ep.id))?.id ?? null;
  return { app, ep, msg, ref: first, job, latestId, send };
}

/** An app with endpoints (`bodies`) and `messages` messages to all of them, and the queued jobs. */
async function fanOut(bodies: Record<string, unknown>[], messages: number) {
  const send = spySendBatch();
  const app = await createApp();
  const eps: { id: string; url: string }[] = [];
  for (const [i, body] of bodies.entries())
    eps.push(await createEndpoint(app.id, { url: `${RECEIVER}/${i}`, ...body }));
  for (let i = 0; i < messages; i++) await createMessage(app.id, { payload: { i } });
  await drained(app.id);
  const jobs = sentJobs(send).map((m) => m.body);
  const refs = sentDeliveries(send).map(asRef);
  send.mockClear();
  return { app, eps, jobs, refs, send };
}

const endpointRow = (appId: string, id: string) =>
  env.DB.prepare(
    "SELECT disabled, disabled_reason, failing_since FROM endpoints WHERE app_id = ?1 AND id = ?2",
  )
    .bind(appId, id)
    .first<{ disabled: number; disabled_reason: string | null; failing_since: number | null }>();

/** Which endpoint (by the index in its URL path, see fanOut) each request went to. */
const targets = (requests: Request[]) => requests.map((r) => new URL(r.url).pathname.split("/").pop());

const byMsg = (a: DeliveryRef, b: DeliveryRef) => (a.m < b.m ? -1 : a.m > b.m ? 1 : 0);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise the test resolves when it chooses. */
function gate() {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open: () => open() };
}

describe("delivery consumer", () => {
  it("signs and posts the payload, records a success and acks", async () => {
    const d = await delivery({ headers: { "X-Custom": "yes" } }, { payload: { hello: "world" } });
    const receiver = mockReceiver(() => new Response("thanks", { status: 200 }));
    const { ids, result } = await runDeliveries([d.job()]);

    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0] as Request;
    expect(req.url).toBe(RECEIVER);
    expect(req.method).toBe("POST");
    expect(req.redirect).toBe("manual");
    const body = await req.text();
    expect(JSON.parse(body)).toEqual({ hello: "world" });
    const headers = Object.fromEntries(req.headers);
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "x-custom": "yes",
      "webhook-id": d.msg.id,
      "svix-id": d.msg.id,
    });
    expect(headers["user-agent"]).toMatch(/^Edgehook\//);
    expect(headers["svix-signature"]).toBe(headers["webhook-signature"]);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual({ hello: "world" });

    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({
      endpoint_id: d.ep.id,
      status: 0,
      response_status_code: 200,
      response: "thanks",
      trigger_type: 0,
      next_attempt_at: null,
      url: RECEIVER,
    });
    // A success is not followed by another job.
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("records a failed attempt (fail, with next_attempt_at) and the log object enqueues the retry after the jittered step", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("boom", { status: 500 }));
    const before = Date.now();
    const { ids, result } = await runDeliveries([d.job()]);
    expect(result.explicitAcks).toEqual(ids);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 500, response: "boom" });
    expect(attempt?.next_attempt_at).toBeGreaterThanOrEqual(before + 4000);
    expect(attempt?.next_attempt_at).toBeLessThanOrEqual(Date.now() + 6000);
    // The destination is pending until then.
    const dest = await api("GET", `/api/v1/app/${d.app.id}/msg/${d.msg.id}/endpoint`);
    expect(((await dest.json()) as { data: { status: number }[] }).data[0]).toMatchObject({ status: 1 });

    const [next, ...rest] = await takeQueued(d.send, d.app.id);
    expect(rest).toEqual([]);
    // The retry follows this attempt, one step further in the schedule.
    expect(next).toMatchObject({
      appId: d.app.id,
      shard: 0,
      m: d.msg.id,
      e: d.ep.id,
      p: attempt?.id,
      n: 1,
      t: 0,
    });
    // Default schedule: 5 s after the first failure, +-20 %.
    expect(next?.delaySeconds).toBeGreaterThanOrEqual(4);
    expect(next?.delaySeconds).toBeLessThanOrEqual(6);
  });

  it("honours Retry-After on 429, clamped to [step, 2 x step]", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("slow down", { status: 429, headers: { "retry-after": "3600" } }));
    await runDeliveries([d.job({ n: 1 })]);
    // After 2 attempts the step is 300 s: 3600 is clamped to 600.
    const [next] = await takeQueued(d.send, d.app.id);
    expect(next).toMatchObject({ delaySeconds: 600, n: 2, p: await d.latestId() });
  });

  it("hands a retry longer than the queue can hold to the log object's alarm", async () => {
    const d = await delivery();
    // After 6 attempts the step is 36000 s: a Retry-After of a day is clamped to 72000 s (> 12 h).
    mockReceiver(() => new Response("", { status: 429, headers: { "retry-after": "86400" } }));
    const { ids, result } = await runDeliveries([d.job({ n: 5 })]);
    expect(result.explicitAcks).toEqual(ids);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt?.next_attempt_at).toBeGreaterThan(Date.now() + MAX_QUEUE_DELAY_SECONDS * 1000);
    // Nothing on the queue: no job could wait that long there.
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
    const due = attempt?.next_attempt_at ?? 0;
    // Before its time the alarm hands nothing over; at its time the retry is enqueued at once.
    expect(await inLog(d.app.id, (log) => log.tick(due - 60_000), d.msg.id)).toBe(0);
    expect(await inLog(d.app.id, (log) => log.tick(due + 1000), d.msg.id)).toBe(1);
    const [retry] = await takeQueued(d.send, d.app.id);
    expect(retry).toMatchObject({ m: d.msg.id, e: d.ep.id, p: attempt?.id, t: 0 });
    expect(retry?.delaySeconds).toBeUndefined();
  });

  it("ends the delivery failed after the last step of the schedule", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("still down", { status: 503 }));
    const { ids, result } = await runDeliveries([d.job({ n: 7 })]);
    expect(result.explicitAcks).toEqual(ids);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 503, next_attempt_at: null });
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("treats network errors and timeouts as failed attempts that are retried", async () => {
    const d = await delivery();
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("connection refused"));
    await runDeliveries([d.job()]);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 0 });
    expect(attempt?.next_attempt_at).not.toBeNull();
    expect(attempt?.response).toContain("connection refused");
    expect(await takeQueued(d.send, d.app.id)).toMatchObject([{ n: 1, p: attempt?.id }]);
  });

  it("treats a redirect as a failed attempt", async () => {
    const d = await delivery();
    mockReceiver(
      () => new Response(null, { status: 301, headers: { location: "https://elsewhere.example.com" } }),
    );
    await runDeliveries([d.job()]);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 301 });
    expect(attempt?.next_attempt_at).not.toBeNull();
    await drained(d.app.id);
  });

  it("disables the endpoint on 410 and ends its other deliveries in the batch as failed", async () => {
    const { app, eps, jobs, refs, send } = await fanOut([{}], 2);
    const ep = eps[0] as { id: string };
    mockReceiver((_req, call) => new Response("", { status: call === 0 ? 410 : 500 }));
    const { ids, result } = await runDeliveries(jobs);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(await takeQueued(send, app.id)).toEqual([]);
    expect(await endpointRow(app.id, ep.id)).toMatchObject({ disabled: 1 });
    expect((await endpointRow(app.id, ep.id))?.disabled_reason).toMatch(/410/);
    for (const r of refs)
      expect(await attemptRows(app.id, r.m)).toMatchObject([{ status: 2, next_attempt_at: null }]);

    // Later jobs for the disabled endpoint (here a manual resend) end failed without a request.
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const first = refs[0] as DeliveryRef;
    const latest = await latestAttempt(app.id, first.m, ep.id);
    await runDeliveries([pack(app.id, [{ ...first, p: latest?.id ?? null, t: 1 }])]);
    expect(receiver.requests).toHaveLength(0);
    const rows = await attemptRows(app.id, first.m);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ status: 2, trigger_type: 1 });
    expect(rows[1]?.response).toMatch(/^endpoint disabled/);
    await drained(app.id);
  });

  it("makes one claim and one record call per log object per batch", async () => {
    const one = await fanOut([{}, {}], 5);
    const two = await fanOut([{}], 3);
    expect(one.refs).toHaveLength(10);
    expect(two.refs).toHaveLength(3);
    const claim = vi.spyOn(AppLog.prototype, "claim");
    const record = vi.spyOn(AppLog.prototype, "record");
    mockReceiver((req, call) => new Response("", { status: req.url.endsWith("/1") && call % 2 ? 500 : 200 }));
    const { ids, result } = await runDeliveries([...one.jobs, ...two.jobs]);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());

    expect(claim).toHaveBeenCalledTimes(2);
    expect(record).toHaveBeenCalledTimes(2);
    // Each log object's call carries all of its jobs, and its record call all of their attempts.
    const claimed = (appId: string) => claim.mock.calls.find(([ident]) => ident.appId === appId)?.[1] ?? [];
    const reported = (appId: string) =>
      record.mock.calls.find(([ident]) => ident.appId === appId)?.[1].attempts ?? [];
    expect(claimed(one.app.id)).toHaveLength(10);
    expect(claimed(two.app.id)).toHaveLength(3);
    expect(reported(one.app.id)).toHaveLength(10);
    expect(reported(two.app.id)).toHaveLength(3);
    for (const ep of one.eps) expect(await endpointAttempts(one.app.id, ep.id)).toHaveLength(5);
    expect(await endpointAttempts(two.app.id, (two.eps[0] as { id: string }).id)).toHaveLength(3);
    await drained(one.app.id);
  });

  it("retries only a log object's own queue messages when its record call fails", async () => {
    const a = await delivery();
    const b = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const real = AppLog.prototype.record;
    vi.spyOn(AppLog.prototype, "record").mockImplementation(function (this: AppLog, ident, report) {
      if (ident.appId === a.app.id) throw new Error("log object unavailable");
      return real.call(this, ident, report);
    });
    const batch = [a.job(), b.job()];
    const { ids, result } = await runDeliveries(batch);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([ids[0]]);
    expect(result.explicitAcks).toEqual([ids[1]]);
    expect(receiver.requests.map((r) => r.headers.get("webhook-id")).sort()).toEqual(
      [a.msg.id, b.msg.id].sort(),
    );
    expect(await attemptRows(a.app.id, a.msg.id)).toEqual([]);
    expect(await attemptRows(b.app.id, b.msg.id)).toHaveLength(1);

    // The queue runs the batch again: b's delivery was recorded and is not sent again; a's is
    // still leased to the consumer that failed to record it, so it waits for the lease to end.
    vi.mocked(AppLog.prototype.record).mockRestore();
    const again = await runDeliveries(batch, 2);
    expect(again.result.explicitAcks).toEqual(again.ids);
    expect(receiver.requests).toHaveLength(2);
    expect(await attemptRows(b.app.id, b.msg.id)).toHaveLength(1);
    const [back, ...rest] = await takeQueued(a.send, a.app.id);
    expect(rest).toEqual([]);
    expect(back).toMatchObject({ appId: a.app.id, m: a.msg.id, p: null });
    expect(back?.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(await takeQueued(b.send, b.app.id)).toEqual([]);
  });

  it("sends a redelivered job whose attempt was recorded only once; a manual resend sends again", async () => {
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const job = d.job();
    await runDeliveries([job]);
    expect(receiver.requests).toHaveLength(1);
    const again = await runDeliveries([job], 2);
    expect(again.result.explicitAcks).toEqual(again.ids);
    expect(receiver.requests).toHaveLength(1);
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
    // A manual resend follows the latest attempt and is sent.
    await runDeliveries([d.job({ p: await d.latestId(), t: 1 })]);
    expect(receiver.requests).toHaveLength(2);
    expect((await attemptRows(d.app.id, d.msg.id)).map((a) => a.trigger_type)).toEqual([0, 1]);
    await drained(d.app.id);
  });

  it("sends a job duplicated within one batch once, acks both copies and queues nothing back", async () => {
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries([d.job(), d.job()]);
    expect(receiver.requests).toHaveLength(1);
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(await attemptRows(d.app.id, d.msg.id)).toHaveLength(1);
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("sends a delivery two consumers hold at once a single time, and the deferred copy leaves no trace", async () => {
    const { app, eps, refs } = await fanOut([{}, {}], 1);
    const [x, y] = eps.map((e) => e.id) as [string, string];
    const jobX = pack(
      app.id,
      refs.filter((r) => r.e === x),
    );
    const jobY = pack(
      app.id,
      refs.filter((r) => r.e === y),
    );
    // Each endpoint answers when the test opens its gate.
    const gates = [gate(), gate()];
    const receiver = mockReceiver(async (req) => {
      await (req.url.endsWith("/0") ? gates[0] : gates[1])?.wait;
      return new Response("", { status: 200 });
    });
    const requestsReach = async (n: number) => {
      while (receiver.requests.length < n) await sleep(5);
    };
    // Consumer A sends X. Consumer B (a redelivered copy of X's message, plus Y) claims while A
    // holds X's lease: X is deferred, Y is sent. A records first, then B.
    const a = runDeliveries([jobX]);
    await requestsReach(1);
    const b = runDeliveries([jobX, jobY]);
    await requestsReach(2);
    gates[0]?.open();
    const doneA = await a;
    gates[1]?.open();
    const doneB = await b;

    expect(doneA.result.explicitAcks).toEqual(doneA.ids);
    expect(doneB.result.explicitAcks.sort()).toEqual(doneB.ids.sort());
    expect(targets(receiver.requests)).toEqual(["0", "1"]);
    expect(await endpointAttempts(app.id, x)).toMatchObject([{ status: 0 }]);
    await drained(app.id);
    // BUG in src/log/app-log.ts record() (reported to the lead, not fixed here): the deferred
    // copy of X is parked in the `waiting` table although X's attempt is already recorded, so
    // the endpoint's stats count X twice (success 1 AND pending 1) and the object's alarm wakes
    // every OUTBOX_RECOVERY_SECONDS/4 until retention drops the row. This assertion fails until
    // record() stops parking (and re-queuing) a deferred ref that is no longer the delivery's
    // latest (ref.p !== attempts.latest(ref.m, ref.e)?.id).
    const stats = await api("GET", `/api/v1/app/${app.id}/endpoint/${x}/stats`);
    expect(await stats.json()).toMatchObject({ success: 1, pending: 0, sending: 0, fail: 0 });
  });

  it("does not send a delivery again while another consumer is still sending it", async () => {
    const d = await delivery();
    const slow = gate();
    const receiver = mockReceiver(async (_req, call) => {
      if (call === 0) await slow.wait;
      return new Response("", { status: 200 });
    });
    // Consumer A is sending; two more copies of the job arrive one after the other meanwhile.
    const a = runDeliveries([d.job()]);
    while (receiver.requests.length < 1) await sleep(5);
    const b = await runDeliveries([d.job()], 2);
    expect(b.result.explicitAcks).toEqual(b.ids);
    // BUG in src/log/app-log.ts record() (reported to the lead, not fixed here): B's copy was
    // deferred by A's lease, and recording that deferral deletes the lease (record() releases
    // the lease of every deferred ref, whoever holds it), so copy C is granted and sent while A
    // is still sending: 2 requests here instead of 1. Fails until a deferral only releases a
    // lease its reporter held (e.g. claim hands out a lease token that record must present).
    await runDeliveries([d.job()], 3);
    const whileSending = receiver.requests.length;
    slow.open();
    expect((await a).result.explicitAcks).toHaveLength(1);
    await drained(d.app.id);
    expect(whileSending).toBe(1);
    expect(await attemptRows(d.app.id, d.msg.id)).toMatchObject([{ status: 0 }]);
  });

  it("after a crash between send and record, sends at most once more and ends with the attempt recorded", async () => {
    // A short delivery timeout makes the lease (a few timeouts) end within the test.
    const shortEnv: Env = Object.create(env, { DELIVERY_TIMEOUT_MS: { value: "50" } });
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    vi.spyOn(AppLog.prototype, "record").mockImplementationOnce(() => {
      throw new Error("consumer died before recording");
    });
    const job = d.job();
    const crashed = await runDeliveries([job], 1, shortEnv);
    expect(crashed.result.retryMessages.map((r) => r.msgId)).toEqual(crashed.ids);
    expect(receiver.requests).toHaveLength(1);
    expect(await attemptRows(d.app.id, d.msg.id)).toEqual([]);

    // The queue retries the message while the delivery is still leased: deferred, not sent.
    const early = await runDeliveries([job], 2, shortEnv);
    expect(early.result.explicitAcks).toEqual(early.ids);
    expect(receiver.requests).toHaveLength(1);
    const back = (await takeQueued(d.send, d.app.id)).map(asRef);
    expect(back).toEqual([d.ref]);

    // Once the lease has ended, the job the log object queued back sends (the one duplicate).
    await sleep(300);
    const late = await runDeliveries([pack(d.app.id, back)], 1, shortEnv);
    expect(late.result.explicitAcks).toEqual(late.ids);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.map((r) => r.headers.get("webhook-id"))).toEqual([d.msg.id, d.msg.id]);
    expect(await attemptRows(d.app.id, d.msg.id)).toMatchObject([{ status: 0 }]);

    // Any further copy (the original message once more) sends nothing.
    await runDeliveries([job], 3, shortEnv);
    expect(receiver.requests).toHaveLength(2);
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("refuses a destination that fails the URL guard, without retrying", async () => {
    const d = await delivery();
    await env.DB.prepare("UPDATE endpoints SET url = 'https://10.0.0.1/hook' WHERE app_id = ?1")
      .bind(d.app.id)
      .run();
    // A change behind the API's back: tell the log object, as the API does after its writes.
    await inLog(d.app.id, (log) => log.configChanged({ appId: d.app.id, shard: 0 }));
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries([d.job()]);
    expect(receiver.requests).toHaveLength(0);
    const [attempt] = await attemptRows(d.app.id, d.msg.id);
    expect(attempt).toMatchObject({ status: 2, response_status_code: 0, next_attempt_at: null });
    expect(attempt?.response).toMatch(/^refused: .*private/);
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("reads the payload from the log object and never sends expunged content", async () => {
    const d = await delivery({}, { payload: { big: "z".repeat(9000) } });
    // The queue message carries ids only.
    expect(Object.keys(d.ref).sort()).toEqual(["e", "m", "n", "p", "t"]);
    const receiver = mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries([d.job()]);
    expect(JSON.parse(await (receiver.requests[0] as Request).text())).toEqual({ big: "z".repeat(9000) });
    const [retry] = await takeQueued(d.send, d.app.id);
    expect(retry).toMatchObject({ n: 1, p: await d.latestId() });

    const expunge = await api("DELETE", `/api/v1/app/${d.app.id}/msg/${d.msg.id}/content`);
    expect(expunge.status).toBe(204);
    await runDeliveries([pack(d.app.id, [asRef(retry as DeliveryRef)])]);
    expect(receiver.requests).toHaveLength(1);
    const rows = await attemptRows(d.app.id, d.msg.id);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      status: 2,
      next_attempt_at: null,
      response: "the message content was expunged",
    });
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("defers deliveries beyond the endpoint's rate limit without recording attempts; the log object queues them back", async () => {
    const { app, eps, jobs, send } = await fanOut([{ throttleRate: 1 }], 6);
    const ep = eps[0] as { id: string };
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries(jobs);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.length).toBeLessThan(6);
    // Every queue message is acked: the deferred deliveries travel in new jobs.
    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    const back = await takeQueued(send, app.id);
    expect(back).toHaveLength(6 - receiver.requests.length);
    for (const b of back) expect(b).toMatchObject({ e: ep.id, p: null, n: 0 });
    for (const b of back) expect(b.delaySeconds).toBeGreaterThanOrEqual(1);
    const sentIds = receiver.requests.map((r) => r.headers.get("webhook-id"));
    expect(back.map((b) => b.m).filter((m) => sentIds.includes(m))).toEqual([]);
    expect(await endpointAttempts(app.id, ep.id)).toHaveLength(receiver.requests.length);
  });

  it("acks jobs whose endpoint was deleted, without a request", async () => {
    const d = await delivery();
    expect((await api("DELETE", `/api/v1/app/${d.app.id}/endpoint/${d.ep.id}`)).status).toBe(204);
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries([d.job()]);
    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(0);
    expect(await takeQueued(d.send, d.app.id)).toEqual([]);
  });

  it("acks operational jobs without sending when OPERATIONAL_WEBHOOK_URL is unset", async () => {
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries([
      { kind: "operational", id: "msg_op", eventType: "endpoint.disabled", payload: "{}", attempt: 0 },
    ]);
    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(0);
  });

  it("acks dead-lettered deliveries, which the log object's outbox enqueues again", async () => {
    const d = await delivery();
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runQueue("edgehook-deliveries-dlq", [d.job()]);
    expect(result.explicitAcks).toEqual(ids);
    expect(receiver.requests).toHaveLength(0);
    expect(await attemptRows(d.app.id, d.msg.id)).toEqual([]);
    // Nothing is lost: once the job is stale, the outbox hands the delivery to the queue again.
    expect(await inLog(d.app.id, (log) => log.tick(Date.now() + 60_000))).toBe(1);
    expect((await takeQueued(d.send, d.app.id)).map(asRef)).toEqual([d.ref]);
  });
});

describe("failure isolation in the consumer", () => {
  it("defers only the deliveries of an endpoint whose state object fails to grant permits", async () => {
    // Both endpoints are rate-limited (each asks its object for permits); endpoint 0's object throws.
    const { app, eps, jobs, refs, send } = await fanOut([{ throttleRate: 77 }, { throttleRate: 100 }], 2);
    const [broken, fine] = eps.map((e) => e.id) as [string, string];
    const real = EndpointState.prototype.acquire;
    vi.spyOn(EndpointState.prototype, "acquire").mockImplementation(function (
      this: EndpointState,
      wanted,
      rate,
      now,
    ) {
      if (rate === 77) throw new Error("endpoint state unavailable");
      return real.call(this, wanted, rate, now);
    });
    const receiver = mockReceiver(() => new Response("", { status: 200 }));
    const { ids, result } = await runDeliveries(jobs);

    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(targets(receiver.requests)).toEqual(["1", "1"]);
    expect(await endpointAttempts(app.id, fine)).toMatchObject([{ status: 0 }, { status: 0 }]);
    expect(await endpointAttempts(app.id, broken)).toEqual([]);
    // The broken endpoint's deliveries go back to the queue once each, via the log object.
    const back = await takeQueued(send, app.id);
    expect(back.map(asRef).sort(byMsg)).toEqual(refs.filter((r) => r.e === broken).sort(byMsg));
    for (const b of back) expect(b.delaySeconds).toBe(10);

    // The object works again. The jobs queued back and a redelivery of the whole batch arrive
    // together: each delivery is sent exactly once in all.
    vi.mocked(EndpointState.prototype.acquire).mockRestore();
    const again = await runDeliveries([...jobs, pack(app.id, back.map(asRef))], 2);
    expect(again.result.explicitAcks.sort()).toEqual(again.ids.sort());
    expect(targets(receiver.requests).sort()).toEqual(["0", "0", "1", "1"]);
    expect(await endpointAttempts(app.id, broken)).toHaveLength(2);
    expect(await endpointAttempts(app.id, fine)).toHaveLength(2);
    expect(await takeQueued(send, app.id)).toEqual([]);
  });

  it("records every attempt and acks when an endpoint's health report fails", async () => {
    const { app, eps, jobs, refs, send } = await fanOut([{}, {}], 2);
    const [failing, fine] = eps.map((e) => e.id) as [string, string];
    vi.spyOn(EndpointState.prototype, "report").mockImplementation(() => {
      throw new Error("endpoint state unavailable");
    });
    const receiver = mockReceiver((req) => new Response("", { status: req.url.endsWith("/0") ? 500 : 200 }));
    const { ids, result } = await runDeliveries(jobs);

    expect(result.explicitAcks.sort()).toEqual(ids.sort());
    expect(receiver.requests).toHaveLength(4);
    const failed = await endpointAttempts(app.id, failing);
    expect(failed).toHaveLength(2);
    for (const a of failed) {
      expect(a.status).toBe(2);
      expect(a.next_attempt_at).not.toBeNull();
    }
    expect(await endpointAttempts(app.id, fine)).toMatchObject([{ status: 0 }, { status: 0 }]);
    // Only the failed deliveries' retries are queued, each following its attempt.
    const back = await takeQueued(send, app.id);
    expect(back.map((b) => b.p).sort()).toEqual(failed.map((a) => a.id).sort());
    expect(back.map((b) => b.n)).toEqual([1, 1]);

    // A redelivery of the batch sends nothing again.
    const again = await runDeliveries(jobs, 2);
    expect(again.result.explicitAcks.sort()).toEqual(again.ids.sort());
    expect(receiver.requests).toHaveLength(4);
    expect(await takeQueued(send, app.id)).toEqual([]);
    expect(refs).toHaveLength(4);
  });
});

describe("operational webhooks from the consumer", () => {
  // A copy of the environment with OPERATIONAL_WEBHOOK_URL set (config is parsed per env object).
  const opsEnv: Env = Object.create(env, {
    OPERATIONAL_WEBHOOK_URL: { value: "https://ops.example.com/hook" },
  });
  const opsJobs = (spy: ReturnType<typeof spySendBatch>) =>
    sentJobs(spy)
      .map((m) => m.body as QueueJob)
      .flatMap((j) => (j.kind === "operational" ? [{ ...j, body: JSON.parse(j.payload) }] : []));

  it("emits failing on the 4th failure, exhausted at the end, and recovered only after failing", async () => {
    const d = await delivery({}, { eventId: "evt-ops" });
    mockReceiver(() => new Response("", { status: 500 }));
    await runDeliveries([d.job({ n: 3 })], 1, opsEnv);
    const [failing] = opsJobs(d.send);
    expect(failing?.body).toMatchObject({
      type: "message.attempt.failing",
      data: {
        appId: d.app.id,
        endpointId: d.ep.id,
        msgId: d.msg.id,
        msgEventId: "evt-ops",
        lastAttempt: { responseStatusCode: 500, id: await d.latestId() },
      },
    });
    await drained(d.app.id);
    d.send.mockClear();
    await runDeliveries([d.job({ n: 7, p: await d.latestId() })], 1, opsEnv);
    expect(opsJobs(d.send).map((j) => j.body.type)).toEqual(["message.attempt.exhausted"]);
    await drained(d.app.id);
    vi.restoreAllMocks();
    const send = spySendBatch();
    mockReceiver(() => new Response("", { status: 200 }));
    // A success after fewer failures than "failing" needs recovers nothing the operator heard of.
    await runDeliveries([d.job({ n: 2, p: await d.latestId(), t: 1 })], 1, opsEnv);
    expect(opsJobs(send)).toEqual([]);
    await runDeliveries([d.job({ n: 4, p: await d.latestId(), t: 1 })], 1, opsEnv);
    expect(opsJobs(send).map((j) => j.body.type)).toEqual(["message.attempt.recovered"]);
    expect(await attemptRows(d.app.id, d.msg.id)).toHaveLength(4);
  });

  it("emits endpoint.disabled once when a 410 disables the endpoint", async () => {
    const d = await delivery();
    mockReceiver(() => new Response("", { status: 410 }));
    await runDeliveries([d.job()], 1, opsEnv);
    expect(opsJobs(d.send).map((j) => j.body)).toMatchObject([
      {
        type: "endpoint.disabled",
        data: { appId: d.app.id, endpointId: d.ep.id, failSince: expect.any(String) },
      },
    ]);
    await drained(d.app.id);
  });

  it("posts operational jobs to OPERATIONAL_WEBHOOK_URL, signed, and retries failures", async () => {
    const send = spySendBatch();
    const receiver = mockReceiver(() => new Response("", { status: 500 }));
    const job = {
      kind: "operational" as const,
      id: "msg_ops1",
      eventType: "endpoint.disabled",
      payload: '{"a":1}',
      attempt: 0,
    };
    const { ids, result } = await runDeliveries([job], 1, opsEnv);
    expect(result.explicitAcks).toEqual(ids);
    const req = receiver.requests[0] as Request;
    expect(req.url).toBe("https://ops.example.com/hook");
    const headers = Object.fromEntries(req.headers);
    expect(new Webhook(env.OPERATIONAL_WEBHOOK_SECRET).verify(await req.text(), headers)).toEqual({ a: 1 });
    expect(sentJobs(send)[0]).toMatchObject({
      body: { ...job, attempt: 1 },
      delaySeconds: expect.any(Number),
    });
  });
});
