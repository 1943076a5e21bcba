import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { partitionOfId } from "../../src/log/partitions";
import { api, createApp, json } from "../helpers";
import { drained, mockReceiver, pack, runDeliveries, sentDeliveries, spySendBatch } from "./consumer-helpers";
import {
  attemptRows,
  countMessages,
  createEndpoint,
  createEventType,
  createMessage,
  inLog,
  logStub,
  type MessageOut,
  messageRow,
} from "./delivery-fixtures";

type Page<T> = { data: T[]; iterator: string | null; prevIterator: string | null; done: boolean };
type EpMsg = MessageOut & { status: number; statusText: string; nextAttempt: string | null };

const DAY = 86_400_000;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Ids are time-ordered to the millisecond: a pause gives the next message a later timestamp. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const ids = async (path: string) =>
  (await json<Page<{ id: string }>>(await api("GET", path))).data.map((m) => m.id);

/** The application's deliveries the log object queued so far, as refs. */
async function queuedRefs(send: ReturnType<typeof spySendBatch>, appId: string) {
  await drained(appId);
  return sentDeliveries(send)
    .filter((d) => d.appId === appId)
    .map(({ m, e, p, n, t }) => ({ m, e, p, n, t }));
}

/** Runs the application's queued first deliveries through the consumer. */
async function deliverQueued(send: ReturnType<typeof spySendBatch>, appId: string) {
  const refs = (await queuedRefs(send, appId)).filter((r) => r.p === null);
  await runDeliveries([pack(appId, refs)]);
  await drained(appId);
}

/** The names of the day tables of a log object holding a message's day. */
const dayTables = (appId: string, msgId: string) =>
  runInDurableObject(logStub(appId), (_log, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?) ORDER BY name",
        ...["msg", "key", "att"].map((t) => `${t}_${partitionOfId(msgId)}`),
      )
      .toArray()
      .map((r) => r.name),
  );

describe("message read routes", () => {
  it("lists messages newest first with pagination and filters", async () => {
    spySendBatch();
    const app = await createApp();
    const a = await createMessage(app.id, {
      eventType: "a.one",
      channels: ["c1"],
      tags: ["t1"],
      payload: { n: 1 },
    });
    await tick();
    const b = await createMessage(app.id, { eventType: "b.two", tags: ["t2"], payload: { n: 2 } });
    await tick();
    const c = await createMessage(app.id, {
      eventType: "a.one",
      channels: ["c2"],
      tags: ["t1", "t3"],
      payload: { n: 3 },
    });
    const base = `/api/v1/app/${app.id}/msg`;

    const all = await json<Page<MessageOut>>(await api("GET", base));
    expect(all.data.map((m) => m.id)).toEqual([c.id, b.id, a.id]);
    expect(all.data[0]).toMatchObject({ payload: { n: 3 }, tags: ["t1", "t3"], channels: ["c2"] });

    const p1 = await json<Page<MessageOut>>(await api("GET", `${base}?limit=2&with_content=false`));
    expect(p1.data.map((m) => m.id)).toEqual([c.id, b.id]);
    expect(p1.data[0]?.payload).toEqual({});
    expect(p1.done).toBe(false);
    const p2 = await json<Page<MessageOut>>(await api("GET", `${base}?limit=2&iterator=${p1.iterator}`));
    expect(p2.data.map((m) => m.id)).toEqual([a.id]);
    expect(p2.done).toBe(true);
    const back = await json<Page<MessageOut>>(
      await api("GET", `${base}?limit=2&iterator=${p2.prevIterator}`),
    );
    expect(back.data.map((m) => m.id)).toEqual([c.id, b.id]);
    expect(await ids(`${base}?order=ascending`)).toEqual([a.id, b.id, c.id]);

    // Each filter narrows the listing.
    expect(await ids(`${base}?event_types=a.one`)).toEqual([c.id, a.id]);
    expect(await ids(`${base}?event_types=a.one,b.two`)).toEqual([c.id, b.id, a.id]);
    expect(await ids(`${base}?event_types=x.y&event_types=b.two`)).toEqual([b.id]);
    expect(await ids(`${base}?channel=c2`)).toEqual([c.id]);
    expect(await ids(`${base}?tag=t1`)).toEqual([c.id, a.id]);
    expect(await ids(`${base}?tag=t3`)).toEqual([c.id]);
    expect(await ids(`${base}?before=${encodeURIComponent(b.timestamp)}`)).toEqual([a.id]);
    expect(await ids(`${base}?after=${encodeURIComponent(b.timestamp)}`)).toEqual([c.id]);
    expect(await ids(`${base}?tag=t1&channel=c1`)).toEqual([a.id]);
  });

  it("rejects unknown or malformed query parameters on the message listing (422)", async () => {
    const app = await createApp();
    for (const query of ["unknown=1", "limit=0", "before=yesterday", "channel=bad%20name"]) {
      const res = await api("GET", `/api/v1/app/${app.id}/msg?${query}`);
      expect(res.status, query).toBe(422);
    }
  });

  it("gets a message by id or eventId, and 404s another application's message", async () => {
    spySendBatch();
    const app = await createApp();
    const other = await createApp();
    const msg = await createMessage(app.id, { eventId: "order-77", payload: { x: 1 } });
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`))).toMatchObject({
      id: msg.id,
      eventId: "order-77",
      payload: { x: 1 },
    });
    expect(await json(await api("GET", `/api/v1/app/${app.id}/msg/order-77`))).toMatchObject({ id: msg.id });
    const bare = await json<MessageOut>(
      await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}?with_content=false`),
    );
    expect([bare.id, bare.payload]).toEqual([msg.id, {}]);
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
    await deliverQueued(send, app.id);
    const res = await api("DELETE", `/api/v1/app/${app.id}/msg/${msg.id}/content`);
    expect(res.status).toBe(204);
    expect((await messageRow(app.id, msg.id))?.payload).toBeNull();
    const read = await json<MessageOut>(await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`));
    expect([read.id, read.payload]).toEqual([msg.id, {}]);
    const attempts = await json<Page<unknown>>(
      await api("GET", `/api/v1/app/${app.id}/attempt/msg/${msg.id}`),
    );
    expect(attempts.data).toHaveLength(1);
    expect((await api("DELETE", `/api/v1/app/${app.id}/msg/msg_unknown/content`)).status).toBe(404);
  });

  it("lists an endpoint's messages with the delivery status", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const ok = await createMessage(app.id);
    const bad = await createMessage(app.id);
    mockReceiver((req) => new Response("", { status: req.headers.get("webhook-id") === ok.id ? 200 : 500 }));
    await deliverQueued(send, app.id);
    const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/msg`;
    const page = await json<Page<EpMsg>>(await api("GET", base));
    // The failed delivery is retried: its destination is pending with its next attempt.
    expect(page.data.map((m) => [m.id, m.status, m.statusText])).toEqual([
      [bad.id, 1, "pending"],
      [ok.id, 0, "success"],
    ]);
    expect(page.data[0]?.nextAttempt).toEqual(expect.any(String));
    expect(page.data[1]?.nextAttempt).toBeNull();
    expect(await ids(`${base}?status=0`)).toEqual([ok.id]);
    expect(await ids(`${base}?status=1`)).toEqual([bad.id]);
    expect(await ids(`${base}?status=2`)).toEqual([]);
    const stats = await json(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/stats`));
    expect(stats).toEqual({ success: 1, pending: 1, fail: 0, sending: 0, canceled: 0 });
  });

  it("counts a delivery not attempted yet as pending, in the listing and in the stats", async () => {
    spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const fresh = await createMessage(app.id);
    expect(await ids(`/api/v1/app/${app.id}/endpoint/${ep.id}/msg?status=1`)).toEqual([fresh.id]);
    // KNOWN BUG (src/log/reads.ts, LogReads.endpointStats): the stats count only destinations
    // that have an attempt or sit in `waiting`, so a delivery not attempted yet is missing from
    // them (pending 0 instead of 1) while the listing above reports it pending. Left failing on
    // purpose until the log object counts unattempted destinations (see the report).
    const stats = await json(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/stats`));
    expect(stats).toEqual({ success: 0, pending: 1, fail: 0, sending: 0, canceled: 0 });
  });

  it("filters an endpoint's messages by event type, channel, tag and time", async () => {
    spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const elsewhere = await createEndpoint(app.id, { channels: ["only-here"] });
    const a = await createMessage(app.id, { eventType: "a.one", channels: ["c1"], tags: ["t1"] });
    await tick();
    const b = await createMessage(app.id, { eventType: "b.two", tags: ["t2"] });
    await tick();
    const c = await createMessage(app.id, { eventType: "a.one", channels: ["c2"] });
    await createMessage(app.id, { eventType: "a.one", channels: ["only-here"] });
    const base = `/api/v1/app/${app.id}/endpoint/${elsewhere.id}/msg`;
    expect(await ids(base)).toHaveLength(1);

    const epBase = `/api/v1/app/${app.id}/endpoint/${ep.id}/msg`;
    const all = await ids(epBase);
    expect(all).toHaveLength(4);
    expect(all.slice(1)).toEqual([c.id, b.id, a.id]);
    expect(await ids(`${epBase}?event_types=b.two`)).toEqual([b.id]);
    expect(await ids(`${epBase}?channel=c1`)).toEqual([a.id]);
    expect(await ids(`${epBase}?tag=t2`)).toEqual([b.id]);
    expect(await ids(`${epBase}?before=${encodeURIComponent(b.timestamp)}`)).toEqual([a.id]);
    expect(await ids(`${epBase}?after=${encodeURIComponent(b.timestamp)}`)).toEqual([all[0], c.id]);
    expect(await ids(`${epBase}?limit=1&order=ascending`)).toEqual([a.id]);
    const withoutContent = await json<Page<EpMsg>>(await api("GET", `${epBase}?with_content=false`));
    expect(withoutContent.data.every((m) => JSON.stringify(m.payload) === "{}")).toBe(true);
    expect((await api("GET", `${epBase}?unknown=1`)).status).toBe(422);
    expect((await api("GET", `${epBase}?status=9`)).status).toBe(422);
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
    expect(await queuedRefs(send, app.id)).toEqual([{ m: msg.id, e: target.id, p: null, n: 0, t: 0 }]);
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

describe("message lifetime", () => {
  it("drops a message, its keys and its attempts with their day once past retention", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const msg = await createMessage(app.id, { eventId: "kept-90-days" });
    mockReceiver(() => new Response("ok", { status: 200 }));
    await deliverQueued(send, app.id);
    expect(await attemptRows(app.id, msg.id)).toHaveLength(1);
    expect(await dayTables(app.id, msg.id)).toHaveLength(3);
    const now = Date.now();

    // Still inside the 90 days: kept.
    await inLog(app.id, (log) => log.tick(now + 89 * DAY));
    expect(await inLog(app.id, (log) => log.messages.get(msg.id, now)?.id)).toBe(msg.id);

    await inLog(app.id, (log) => log.tick(now + 91 * DAY));
    expect(await inLog(app.id, (log) => log.messages.get(msg.id, now + 91 * DAY))).toBeNull();
    expect(
      await inLog(app.id, (log) => log.messages.findByKey("e", "kept-90-days", now + 91 * DAY)),
    ).toBeNull();
    expect(await attemptRows(app.id, msg.id)).toEqual([]);
    expect(await dayTables(app.id, msg.id)).toEqual([]);
    expect(await countMessages(app.id)).toBe(0);
    expect((await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`)).status).toBe(404);
  });

  it("empties the application's log object when the application is deleted", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const msg = await createMessage(app.id);
    mockReceiver(() => new Response("ok", { status: 200 }));
    await deliverQueued(send, app.id);
    expect(await countMessages(app.id)).toBe(1);

    expect((await api("DELETE", `/api/v1/app/${app.id}`)).status).toBe(204);
    expect(await countMessages(app.id)).toBe(0);
    expect(await attemptRows(app.id, msg.id)).toEqual([]);
    expect(await dayTables(app.id, msg.id)).toEqual([]);
    expect((await api("GET", `/api/v1/app/${app.id}/msg/${msg.id}`)).status).toBe(404);
  });
});
