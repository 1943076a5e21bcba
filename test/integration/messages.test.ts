import { afterEach, describe, expect, it, vi } from "vitest";
import type { DeliveryJob } from "../../src/delivery/jobs";
import { api, createApp, json } from "../helpers";
import { mockReceiver, runDeliveries, sentJobs, spySendBatch } from "./consumer-helpers";
import {
  createEndpoint,
  createEventType,
  createMessage,
  type MessageOut,
  messageRow,
} from "./delivery-fixtures";

type Page<T> = { data: T[]; iterator: string | null; prevIterator: string | null; done: boolean };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("message read routes", () => {
  it("lists messages newest first with pagination and filters", async () => {
    spySendBatch();
    const app = await createApp();
    const a = await createMessage(app.id, { eventType: "a.one", channels: ["c1"], payload: { n: 1 } });
    const b = await createMessage(app.id, { eventType: "b.two", payload: { n: 2 } });
    const c = await createMessage(app.id, { eventType: "a.one", channels: ["c2"], payload: { n: 3 } });

    const all = await json<Page<MessageOut>>(await api("GET", `/api/v1/app/${app.id}/msg`));
    expect(all.data.map((m) => m.id)).toEqual([c.id, b.id, a.id]);
    expect(all.data[0]?.payload).toEqual({ n: 3 });

    const p1 = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?limit=2&with_content=false`),
    );
    expect(p1.data.map((m) => m.id)).toEqual([c.id, b.id]);
    expect(p1.data[0]?.payload).toEqual({});
    expect(p1.done).toBe(false);
    const p2 = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?limit=2&iterator=${p1.iterator}`),
    );
    expect(p2.data.map((m) => m.id)).toEqual([a.id]);
    expect(p2.done).toBe(true);

    const typed = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?event_types=a.one`),
    );
    expect(typed.data.map((m) => m.id)).toEqual([c.id, a.id]);
    const both = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?event_types=a.one,b.two`),
    );
    expect(both.data).toHaveLength(3);
    const channel = await json<Page<MessageOut>>(await api("GET", `/api/v1/app/${app.id}/msg?channel=c2`));
    expect(channel.data.map((m) => m.id)).toEqual([c.id]);
    const before = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?before=${encodeURIComponent(b.timestamp)}`),
    );
    expect(before.data.every((m) => m.timestamp < b.timestamp)).toBe(true);
    const after = await json<Page<MessageOut>>(
      await api("GET", `/api/v1/app/${app.id}/msg?after=${encodeURIComponent(b.timestamp)}`),
    );
    expect(after.data.every((m) => m.timestamp > b.timestamp)).toBe(true);
  });

  it("gets a message by id or eventId, and 404s another application's message", async () => {
    spySendBatch();
    const app = await createApp();
    const other = await createApp();
    const msg = await createMessage(app.id, { eventId: "order-77", payload: { x: 1 } });
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`))).toMatchObject({
      id: msg.id,
      payload: { x: 1 },
    });
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/order-77`))).toMatchObject({ id: msg.id });
    const foreign = await api("GET", `/api/v1/app/${other.id}/msg/${msg.id}`);
    expect(foreign.status).toBe(404);
    expect(await json(foreign)).toMatchObject({ code: "not_found" });
    expect((await api("GET", `/api/v1/app/${other.id}/msg/order-77`)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/app/${other.id}/msg/${msg.id}/content`)).status).toBe(404);
    const list = await json<Page<MessageOut>>(await api("GET", `/api/v1/app/${other.id}/msg`));
    expect(list.data).toEqual([]);
  });

  it("expunges a message's content and keeps the message and its attempts", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const msg = await createMessage(app.id, { payload: { card: "4242" } });
    mockReceiver(() => new Response("", { status: 200 }));
    await runDeliveries(sentJobs(send).map((m) => m.body as DeliveryJob));
    const res = await api("DELETE", `/api/v1/app/${app.id}/msg/${msg.id}/content`);
    expect(res.status).toBe(204);
    expect((await messageRow(app.id, msg.id))?.payload).toBeNull();
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`))).toMatchObject({
      id: msg.id,
      payload: {},
    });
    const attempts = await json<Page<unknown>>(
      await api("GET", `/api/v1/app/${app.id}/attempt/msg/${msg.id}`),
    );
    expect(attempts.data).toHaveLength(1);
  });

  it("lists an endpoint's messages with the delivery status", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const ok = await createMessage(app.id);
    const bad = await createMessage(app.id);
    const jobs = sentJobs(send).map((m) => m.body as DeliveryJob);
    mockReceiver((req) => new Response("", { status: req.headers.get("webhook-id") === ok.id ? 200 : 500 }));
    await runDeliveries(jobs);
    type EpMsg = MessageOut & { status: number; statusText: string; nextAttempt: string | null };
    const page = await json<Page<EpMsg>>(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/msg`));
    expect(page.data.map((m) => [m.id, m.statusText])).toEqual([
      [bad.id, "pending"],
      [ok.id, "success"],
    ]);
    expect(page.data[0]?.nextAttempt).toEqual(expect.any(String));
    const successes = await json<Page<EpMsg>>(
      await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/msg?status=0`),
    );
    expect(successes.data.map((m) => m.id)).toEqual([ok.id]);
    const stats = await json(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/stats`));
    expect(stats).toEqual({ success: 1, pending: 1, fail: 0, sending: 0, canceled: 0 });
  });

  it("sends an event type's example to one endpoint", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const name = await createEventType({ schemas: { "1": { type: "object", examples: [{ plan: "pro" }] } } });
    const target = await createEndpoint(app.id, { eventTypes: [await createEventType()] });
    await createEndpoint(app.id);
    const res = await api("POST", `/api/v1/app/${app.id}/endpoint/${target.id}/send-example`, {
      eventType: name,
    });
    expect(res.status).toBe(200);
    const msg = await json<MessageOut>(res);
    expect(msg).toMatchObject({ eventType: name, payload: { plan: "pro" } });
    expect(sentJobs(send).map((m) => (m.body as DeliveryJob).endpointId)).toEqual([target.id]);
    const ping = await api("POST", `/api/v1/app/${app.id}/endpoint/${target.id}/send-example`, {
      eventType: "svix.ping",
    });
    expect(await json(ping)).toMatchObject({ payload: { success: true } });
    const none = await api("POST", `/api/v1/app/${app.id}/endpoint/${target.id}/send-example`, {
      eventType: await createEventType(),
    });
    expect(none.status).toBe(400);
  });
});
