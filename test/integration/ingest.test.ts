import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob } from "../../src/delivery/jobs";
import { api, createApp, json } from "../helpers";
import {
  countMessages,
  createEndpoint,
  createEventType,
  createMessage,
  type MessageOut,
  messageRow,
  postMessage,
} from "./delivery-fixtures";

type Sent = MessageSendRequest<DeliveryJob>[];

function spySendBatch() {
  return vi.spyOn(env.DELIVERIES, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
}
const sentJobs = (spy: ReturnType<typeof spySendBatch>) =>
  spy.mock.calls.flatMap(([messages]) => [...(messages as Sent)].map((m) => m.body));

afterEach(() => {
  vi.restoreAllMocks();
});

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
    expect(JSON.parse(row?.destinations ?? "[]").sort()).toEqual([all.id, typed.id, channeled.id].sort());
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + 90 * 86_400_000);
    const jobs = sentJobs(spy);
    expect(jobs.map((j) => j.endpointId).sort()).toEqual([all.id, typed.id, channeled.id].sort());
    expect(jobs[0]).toMatchObject({ kind: "delivery", appId: app.id, msgId: out.id, attempt: 0, trigger: 0 });
    expect(JSON.parse(jobs[0]?.payload ?? "null")).toEqual({ user: 42 });
  });

  it("does not fan a channel-less message out to endpoints that filter by channel", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id, { channels: ["project_1"] });
    const msg = await createMessage(app.id);
    expect(JSON.parse((await messageRow(app.id, msg.id))?.destinations ?? "")).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
  });

  it("keeps large payloads out of the job and chunks sendBatch at 100 messages", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    for (let i = 0; i < 101; i++) await createEndpoint(app.id);
    await createMessage(app.id, { payload: { blob: "x".repeat(10_000) } });
    expect(spy.mock.calls.map(([messages]) => [...messages].length)).toEqual([100, 1]);
    expect(sentJobs(spy).every((j) => j.payload === undefined)).toBe(true);
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
    expect(await countMessages(app.id)).toBe(1);
    expect(sentJobs(spy)).toHaveLength(1);
  });

  it("returns the original message for a repeated eventId, also when both arrive at once", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const [a, b] = await Promise.all([
      postMessage(app.id, { eventId: "evt-1" }),
      postMessage(app.id, { eventId: "evt-1" }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const [ma, mb] = [await json<MessageOut>(a), await json<MessageOut>(b)];
    expect(ma.id).toBe(mb.id);
    const third = await json<MessageOut>(await postMessage(app.id, { eventId: "evt-1" }));
    expect(third.id).toBe(ma.id);
    expect(await countMessages(app.id)).toBe(1);
    expect(sentJobs(spy)).toHaveLength(1);
  });

  it("creates a new message for a key older than 24 hours", async () => {
    spySendBatch();
    const app = await createApp();
    const first = await json<MessageOut>(await postMessage(app.id, {}, { "idempotency-key": "old" }));
    await env.DB.prepare("UPDATE message_keys SET created_at = created_at - 86400001 WHERE app_id = ?1")
      .bind(app.id)
      .run();
    const second = await json<MessageOut>(await postMessage(app.id, {}, { "idempotency-key": "old" }));
    expect(second.id).not.toBe(first.id);
    expect(await countMessages(app.id)).toBe(2);
  });

  it("answers 413 for a payload over the limit and stores nothing", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const res = await postMessage(app.id, { payload: { big: "x".repeat(300 * 1024) } });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ code: "payload_too_large" });
    expect(await countMessages(app.id)).toBe(0);
    expect(spy).not.toHaveBeenCalled();
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
    expect(spy).not.toHaveBeenCalled(); // no endpoints
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
