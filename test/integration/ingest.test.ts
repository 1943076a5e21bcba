import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { partitionOfId, tables } from "../../src/log/partitions";
import { enqueueJobs } from "../../src/queue/enqueue";
import type { QueueJob } from "../../src/queue/jobs";
import { api, createApp, json } from "../helpers";
import { drained, pack, sentDeliveries, sentJobs, spySendBatch } from "./consumer-helpers";
import {
  countMessages,
  createEndpoint,
  createEventType,
  createMessage,
  inLog,
  logStub,
  type MessageOut,
  messageRow,
  postMessage,
} from "./delivery-fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The deliveries one application's log object handed to the (spied) queue, once it has. */
async function queuedFor(spy: ReturnType<typeof spySendBatch>, appId: string) {
  await drained(appId);
  return sentDeliveries(spy).filter((d) => d.appId === appId);
}

describe("message ingest", () => {
  it("commits the message with one delivery per matching endpoint, then enqueues them", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const [signup, deleted] = [await createEventType(), await createEventType()];
    const all = await createEndpoint(app.id);
    const typed = await createEndpoint(app.id, { eventTypes: [signup] });
    await createEndpoint(app.id, { eventTypes: [deleted] });
    const channeled = await createEndpoint(app.id, { channels: ["project_1"] });
    await createEndpoint(app.id, { channels: ["project_2"] });
    await createEndpoint(app.id, { disabled: true });

    const res = await postMessage(app.id, {
      eventType: signup,
      payload: { user: 42 },
      channels: ["project_1"],
    });
    expect(res.status).toBe(202);
    const out = await json<MessageOut>(res);
    expect(out).toMatchObject({ eventType: signup, payload: { user: 42 }, channels: ["project_1"] });
    expect(out.id).toMatch(/^msg_/);

    const row = await messageRow(app.id, out.id);
    const expected = [all.id, typed.id, channeled.id].sort();
    expect(JSON.parse(row?.destinations ?? "[]").sort()).toEqual(expected);
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + 90 * DAY);
    expect(row?.deliver_at).toBeNull();
    const queued = await queuedFor(spy, app.id);
    expect(queued.map((d) => d.e).sort()).toEqual(expected);
    for (const d of queued) {
      expect(d).toMatchObject({ appId: app.id, shard: 0, m: out.id, p: null, n: 0, t: 0 });
      expect(d.delaySeconds).toBeUndefined();
    }
    // The payload never travels on the queue: the consumer reads it from the log object.
    expect(sentJobs(spy).every((m) => !JSON.stringify(m.body).includes('"user"'))).toBe(true);
  });

  it("does not fan a channel-less message out to endpoints that filter by channel", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id, { channels: ["project_1"] });
    const msg = await createMessage(app.id);
    expect(JSON.parse((await messageRow(app.id, msg.id))?.destinations ?? "")).toEqual([]);
    expect(await queuedFor(spy, app.id)).toEqual([]);
  });

  it("packs the deliveries of a message into queue messages of 100 refs, without the payload", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const endpoints: string[] = [];
    for (let i = 0; i < 101; i++) endpoints.push((await createEndpoint(app.id)).id);
    const msg = await createMessage(app.id, { payload: { blob: "x".repeat(10_000) } });
    await drained(app.id);
    const ours = spy.mock.calls
      .map(([messages]) => [...(messages as MessageSendRequest<QueueJob>[])])
      .filter((call) => call.some((m) => m.body.kind === "deliveries" && m.body.appId === app.id));
    // One sendBatch call, two queue messages: 100 refs and 1.
    expect(
      ours.map((call) => call.map((m) => (m.body.kind === "deliveries" ? m.body.refs.length : 0))),
    ).toEqual([[100, 1]]);
    expect(ours.flat().every((m) => !JSON.stringify(m.body).includes("xxxx"))).toBe(true);
    const refs = (await queuedFor(spy, app.id)).filter((d) => d.m === msg.id);
    expect(refs.map((d) => d.e).sort()).toEqual(endpoints.sort());
  });

  it("chunks sendBatch at 100 queue messages", async () => {
    const spy = spySendBatch();
    const jobs = Array.from({ length: 150 }, (_, i) => ({
      job: pack("app_chunks", [{ m: `msg_${i}`, e: "ep", p: null, n: 0, t: 0 }]),
    }));
    expect(await enqueueJobs(env.DELIVERIES, jobs)).toEqual([]);
    expect(spy.mock.calls.map(([messages]) => [...messages].length)).toEqual([100, 50]);
  });

  it("answers with_content=false without the payload", async () => {
    spySendBatch();
    const app = await createApp();
    const res = await api("POST", `/api/v1/app/${app.id}/msg?with_content=false`, {
      eventType: "a.b",
      payload: { secret: 1 },
    });
    expect(res.status).toBe(202);
    expect((await json<MessageOut>(res)).payload).toEqual({});
  });

  it("returns the original message for a repeated idempotency-key and creates nothing", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const first = await json<MessageOut>(
      await postMessage(app.id, { payload: { n: 1 } }, { "idempotency-key": "k1" }),
    );
    const again = await postMessage(app.id, { payload: { n: 2 } }, { "idempotency-key": "k1" });
    expect(again.status).toBe(202);
    expect(await json<MessageOut>(again)).toMatchObject({ id: first.id, payload: { n: 1 } });
    // Also when both arrive at once.
    const both = await Promise.all([
      postMessage(app.id, { payload: { n: 3 } }, { "idempotency-key": "k2" }),
      postMessage(app.id, { payload: { n: 4 } }, { "idempotency-key": "k2" }),
    ]);
    expect(both.map((r) => r.status)).toEqual([202, 202]);
    const [x, y] = [await json<MessageOut>(both[0] as Response), await json<MessageOut>(both[1] as Response)];
    expect(x.id).toBe(y.id);
    expect(x.payload).toEqual(y.payload);
    expect(await countMessages(app.id)).toBe(2);
    expect(await queuedFor(spy, app.id)).toHaveLength(2);
  });

  it("answers 409 for a repeated eventId, also when both arrive at once", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const [a, b] = await Promise.all([
      postMessage(app.id, { eventId: "evt-1" }),
      postMessage(app.id, { eventId: "evt-1" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const created = await json<MessageOut>(a.status === 202 ? a : b);
    expect(await json(a.status === 409 ? a : b)).toMatchObject({ code: "conflict" });
    const third = await postMessage(app.id, { eventId: "evt-1", payload: { other: true } });
    expect(third.status).toBe(409);
    expect(await json(third)).toMatchObject({ code: "conflict", detail: expect.stringContaining("evt-1") });
    // The original is still the one the eventId names.
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/evt-1`))).toMatchObject({
      id: created.id,
      payload: { a: 1 },
    });
    expect(await countMessages(app.id)).toBe(1);
    expect(await queuedFor(spy, app.id)).toHaveLength(1);
    // Another application may use the same eventId.
    const other = await createApp();
    expect((await postMessage(other.id, { eventId: "evt-1" })).status).toBe(202);
  });

  it("creates a new message for a key older than 24 hours", async () => {
    spySendBatch();
    const app = await createApp();
    const first = await json<MessageOut>(await postMessage(app.id, {}, { "idempotency-key": "old" }));
    await runInDurableObject(logStub(app.id), (_log, state) => {
      state.storage.sql.exec(
        `UPDATE ${tables(partitionOfId(first.id)).key} SET created_at = created_at - 86400001`,
      );
    });
    const second = await json<MessageOut>(await postMessage(app.id, {}, { "idempotency-key": "old" }));
    expect(second.id).not.toBe(first.id);
    expect(await countMessages(app.id)).toBe(2);
    // The key now names the new message.
    const third = await json<MessageOut>(await postMessage(app.id, {}, { "idempotency-key": "old" }));
    expect(third.id).toBe(second.id);
  });

  it("answers 413 for a payload over the limit and stores nothing", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const res = await postMessage(app.id, { payload: { big: "x".repeat(300 * 1024) } });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: "payload_too_large" });
    expect(await countMessages(app.id)).toBe(0);
    expect(await queuedFor(spy, app.id)).toEqual([]);
  });

  it("validates the payload against the event type's latest schema (422, nothing stored)", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const name = await createEventType({
      schemas: {
        "1": { type: "object", required: ["old"] },
        "2": {
          type: "object",
          properties: { email: { type: "string", pattern: "@" }, age: { type: "integer", minimum: 0 } },
          required: ["email"],
          additionalProperties: false,
        },
      },
    });
    const bad = await postMessage(app.id, { eventType: name, payload: { age: -1, extra: true } });
    expect(bad.status).toBe(422);
    const detail = (await json<{ detail: { loc: (string | number)[]; msg: string }[] }>(bad)).detail;
    expect(detail.map((d) => d.loc.join("."))).toEqual(
      expect.arrayContaining(["body.payload.email", "body.payload.age", "body.payload.extra"]),
    );
    expect(await countMessages(app.id)).toBe(0);
    const good = await postMessage(app.id, { eventType: name, payload: { email: "a@b.c", age: 3 } });
    expect(good.status).toBe(202);
    expect(await countMessages(app.id)).toBe(1);
    expect(await queuedFor(spy, app.id)).toEqual([]); // no endpoints
  });

  it("rejects bad event type names and channels with 422", async () => {
    const app = await createApp();
    expect((await postMessage(app.id, { eventType: "bad name!" })).status).toBe(422);
    expect((await postMessage(app.id, { channels: ["a", "a"] })).status).toBe(422);
    expect((await postMessage(app.id, { payload: [1] })).status).toBe(422);
    expect(await countMessages(app.id)).toBe(0);
  });

  it("still answers 202 when the queue send fails after the commit", async () => {
    vi.spyOn(env.DELIVERIES, "sendBatch").mockRejectedValue(new Error("queue down"));
    const app = await createApp();
    await createEndpoint(app.id);
    const res = await postMessage(app.id, {});
    expect(res.status).toBe(202);
    await drained(app.id);
    expect(await messageRow(app.id, (await json<MessageOut>(res)).id)).not.toBeNull();
  });

  it("creates the application from MessageIn.application when it does not exist", async () => {
    spySendBatch();
    const uid = `auto-${Date.now()}`;
    const res = await postMessage(uid, { application: { name: "Created on first message" } });
    expect(res.status).toBe(202);
    expect(await json(await api("GET", `/api/v1/app/${uid}`))).toMatchObject({
      uid,
      name: "Created on first message",
    });
    expect((await postMessage(`missing-${Date.now()}`, {})).status).toBe(404);
  });
});

describe("scheduled messages (deliverAt)", () => {
  it("queues a message due within the queue's 12 hours with the delay", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const deliverAt = new Date(Date.now() + 2 * HOUR);
    const res = await postMessage(app.id, { deliverAt: deliverAt.toISOString() });
    expect(res.status).toBe(202);
    const msg = await json<MessageOut & { deliverAt: string | null }>(res);
    expect(msg.deliverAt).toBe(deliverAt.toISOString());
    expect((await messageRow(app.id, msg.id))?.deliver_at).toBe(deliverAt.getTime());
    const [queued, ...rest] = await queuedFor(spy, app.id);
    expect(rest).toEqual([]);
    expect(queued).toMatchObject({ m: msg.id, e: ep.id, p: null, t: 0 });
    expect(queued?.delaySeconds).toBeGreaterThanOrEqual(7190);
    expect(queued?.delaySeconds).toBeLessThanOrEqual(7200);
  });

  it("hands a message due beyond 12 hours to the queue from the log object's alarm when it is due", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const deliverAt = Date.now() + 20 * HOUR;
    const msg = await createMessage(app.id, { deliverAt: new Date(deliverAt).toISOString() });
    expect(await queuedFor(spy, app.id)).toEqual([]);
    // Not before its time...
    expect(await inLog(app.id, (log) => log.tick(deliverAt - 60_000))).toBe(0);
    expect(await queuedFor(spy, app.id)).toEqual([]);
    // ...then once.
    expect(await inLog(app.id, (log) => log.tick(deliverAt + 1))).toBe(1);
    const queued = await queuedFor(spy, app.id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ m: msg.id, e: ep.id, p: null, n: 0, t: 0 });
    expect(queued[0]?.delaySeconds).toBeUndefined();
  });

  it("rejects a deliverAt less than a minute or more than 24 hours ahead (422)", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    for (const at of [Date.now() - HOUR, Date.now() + 30_000, Date.now() + DAY + HOUR]) {
      const res = await postMessage(app.id, { deliverAt: new Date(at).toISOString() });
      expect(res.status, new Date(at).toISOString()).toBe(422);
      const { detail } = await json<{ detail: { loc: string[] }[] }>(res);
      expect(detail[0]?.loc).toEqual(["body", "deliverAt"]);
    }
    expect((await postMessage(app.id, { deliverAt: "tomorrow" })).status).toBe(422);
    expect(await countMessages(app.id)).toBe(0);
    expect(await queuedFor(spy, app.id)).toEqual([]);
  });
});

describe("payload retention", () => {
  it("keeps the payload payloadRetentionPeriod days", async () => {
    spySendBatch();
    const app = await createApp();
    const msg = await createMessage(app.id, { payloadRetentionPeriod: 5 });
    const row = await messageRow(app.id, msg.id);
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + 5 * DAY);
  });

  it("purges the payload payloadRetentionHours after the message, keeping the message", async () => {
    spySendBatch();
    const app = await createApp();
    const msg = await createMessage(app.id, { payloadRetentionHours: 2, payload: { card: "4242" } });
    const row = await messageRow(app.id, msg.id);
    const expiry = (row?.created_at ?? 0) + 2 * HOUR;
    expect(row?.expires_at).toBe(expiry);
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`))).toMatchObject({
      payload: { card: "4242" },
    });
    // Read at a later clock, the payload is gone even before the purge ran...
    expect(await inLog(app.id, (log) => log.messages.get(msg.id, expiry - 1)?.payload)).toBe(
      '{"card":"4242"}',
    );
    expect(await inLog(app.id, (log) => log.messages.get(msg.id, expiry + 1)?.payload)).toBeNull();
    // ...and the alarm's pass deletes it: it reads as gone at today's clock too.
    await inLog(app.id, (log) => log.tick(expiry + 1));
    const after = await inLog(app.id, (log) => log.messages.get(msg.id, Date.now()));
    expect(after).toMatchObject({ id: msg.id, payload: null });
    expect((await json<MessageOut>(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`))).payload).toEqual(
      {},
    );
  });

  it("rejects payloadRetentionHours together with payloadRetentionPeriod (422)", async () => {
    const app = await createApp();
    const res = await postMessage(app.id, { payloadRetentionHours: 1, payloadRetentionPeriod: 5 });
    expect(res.status).toBe(422);
    expect((await postMessage(app.id, { payloadRetentionHours: 0 })).status).toBe(422);
    expect(await countMessages(app.id)).toBe(0);
  });
});
