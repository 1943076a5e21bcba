import { BackgroundTaskStatus, type MessageAttemptOut, type MessageOut, Svix } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, type ReceivedRequest, type Receiver, startGateway, startReceiver } from "./harness";

// Every listing filter of the official svix client against the gateway, on one data set whose
// expected result is known for each filter: each filter is shown to filter (its result differs
// from the unfiltered listing and is exactly the expected set). RETRY_SCHEDULE "12": one retry,
// 12 s +-20 % after a failed first attempt, long enough to see a destination pending with its
// next attempt set while the attempt itself already reads fail.
const RETRY_SECONDS = 12;

interface Payload {
  n: number;
  /** Receiver 1 answers 500 (404 when "404") until healed. */
  fail?: true | "404";
  /** Receiver 1 answers 500 to the first request for the message, then 200. */
  flaky?: true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idsOf = (rows: { id: string }[]) => rows.map((r) => r.id);
const msgIdsOf = (rows: MessageAttemptOut[]) => rows.map((r) => r.msgId);
const sorted = (xs: string[]) => [...xs].sort();

describe("svix client listings and filters", () => {
  let gateway: Gateway;
  let svix: Svix;
  let ok: Receiver; // endpoint 2: always 200
  let picky: Receiver; // endpoint 1: answers by payload
  let healed = false;
  const seen = new Set<string>();

  let appId: string;
  let ep1: string; // every message
  let ep2: string; // channel "eu" only
  const m: Record<number, MessageOut> = {};
  /** Between m2 and m3: before/after split the messages there. */
  let boundary: Date;
  let start: Date;

  /** Polls until the message has `count` attempts (to `endpointId`); usable in hooks too. */
  async function waitForAttempts(msgId: string, count: number, endpointId?: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await svix.messageAttempt.listByMsg(appId, msgId, endpointId ? { endpointId } : {});
      if (page.data.length >= count) return;
      if (Date.now() > deadline) {
        throw new Error(`${msgId}: ${page.data.length} of ${count} attempts\n${gateway.log().slice(-4000)}`);
      }
      await sleep(250);
    }
  }

  beforeAll(async () => {
    [gateway, ok, picky] = await Promise.all([
      startGateway({ RETRY_SCHEDULE: String(RETRY_SECONDS) }),
      startReceiver((req) => ({ status: 200, body: `ok2-${(JSON.parse(req.body) as Payload).n}` })),
      startReceiver((req: ReceivedRequest) => {
        const p = JSON.parse(req.body) as Payload;
        const id = String(req.headers["webhook-id"]);
        const first = !seen.has(id);
        seen.add(id);
        if (p.fail && !healed) return { status: p.fail === "404" ? 404 : 500, body: `fail-${p.n}` };
        if (p.flaky && first) return { status: 500, body: `flaky-${p.n}` };
        return { status: 200, body: `ok-${p.n}` };
      }),
    ]);
    svix = new Svix(gateway.token, { serverUrl: gateway.url });
    start = new Date(Date.now() - 1000);
    const app = await svix.application.create({ name: "listings" });
    appId = app.id;
    ep1 = (await svix.endpoint.create(appId, { url: `${picky.url}/all` })).id;
    ep2 = (await svix.endpoint.create(appId, { url: `${ok.url}/eu`, channels: ["eu"] })).id;

    const send = async (
      n: number,
      eventType: string,
      extra: Partial<Payload>,
      channels?: string[],
      tags?: string[],
    ) => {
      m[n] = await svix.message.create(appId, { eventType, payload: { n, ...extra }, channels, tags });
      await sleep(20);
    };
    await send(1, "order.created", {}, ["eu"], ["vip"]);
    await send(2, "order.paid", {}, ["us"], ["std"]);
    await sleep(30);
    boundary = new Date();
    await sleep(30);
    await send(3, "order.paid", { fail: true }, ["eu"], ["std"]);
    await send(4, "order.refunded", { fail: "404" }, undefined, ["vip"]);
    await send(5, "order.created", { flaky: true }, ["us"]);
    // Every first attempt is in (m1 and m3 also went to endpoint 2).
    for (const n of [1, 2, 3, 4, 5]) await waitForAttempts((m[n] as MessageOut).id, 1, ep1);
    for (const n of [1, 3]) await waitForAttempts((m[n] as MessageOut).id, 1, ep2);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), ok?.close(), picky?.close()]);
  });

  const id = (n: number) => (m[n] as MessageOut).id;

  it("an attempt has its own status while its destination is pending with the retry scheduled", async () => {
    // m5: the first attempt failed (500); the retry waits RETRY_SECONDS.
    const attempts = await svix.messageAttempt.listByMsg(appId, id(5));
    expect(attempts.data.map((a) => [a.status, a.responseStatusCode])).toEqual([[2, 500]]);
    expect(attempts.data[0]?.statusText).toBe("fail");
    const [dest] = (await svix.messageAttempt.listAttemptedDestinations(appId, id(5))).data;
    expect(dest).toMatchObject({ id: ep1, status: 1, statusText: "pending" });
    const next = dest?.nextAttempt?.getTime() ?? 0;
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThan(Date.now() + RETRY_SECONDS * 1.2 * 1000 + 1000);
    // The endpoint's view of the same delivery: pending, with the same next attempt.
    const pending = await svix.messageAttempt.listAttemptedMessages(appId, ep1, { status: 1 });
    expect(idsOf(pending.data)).toContain(id(5));
    expect(pending.data.find((x) => x.id === id(5))?.nextAttempt?.getTime()).toBe(next);
    expect((await svix.endpoint.getStats(appId, ep1)).pending).toBeGreaterThanOrEqual(1);

    // The retry succeeds: attempts [success, fail] (newest first), the destination success.
    await expect
      .poll(async () => (await svix.messageAttempt.listByMsg(appId, id(5))).data.map((a) => a.status), {
        timeout: (RETRY_SECONDS * 1.2 + 15) * 1000,
        interval: 500,
      })
      .toEqual([0, 2]);
    const after = await svix.messageAttempt.listAttemptedDestinations(appId, id(5));
    expect(after.data).toHaveLength(1);
    expect(after.data[0]).toMatchObject({ id: ep1, status: 0, statusText: "success", nextAttempt: null });
  });

  it("settles: every failing delivery has had its one retry and failed for good", async () => {
    await waitForAttempts(id(3), 2, ep1);
    await waitForAttempts(id(4), 2, ep1);
    await expect
      .poll(async () => (await svix.messageAttempt.listAttemptedDestinations(appId, id(4))).data[0]?.status, {
        timeout: 10_000,
      })
      .toBe(2);
  });

  it("message.list: eventTypes, channel, tag, before/after, withContent, iterator pagination", async () => {
    const all = await svix.message.list(appId);
    expect(idsOf(all.data)).toEqual([id(5), id(4), id(3), id(2), id(1)]);
    expect(all.done).toBe(true);
    // The client asks with_content=false unless told otherwise.
    expect(all.data.every((x) => Object.keys(x.payload as object).length === 0)).toBe(true);
    const full = await svix.message.list(appId, { withContent: true });
    expect(full.data.map((x) => (x.payload as Payload).n)).toEqual([5, 4, 3, 2, 1]);

    const byType = await svix.message.list(appId, { eventTypes: ["order.created"] });
    expect(idsOf(byType.data)).toEqual([id(5), id(1)]);
    const byTwoTypes = await svix.message.list(appId, { eventTypes: ["order.paid", "order.refunded"] });
    expect(idsOf(byTwoTypes.data)).toEqual([id(4), id(3), id(2)]);
    const byChannel = await svix.message.list(appId, { channel: "us" });
    expect(idsOf(byChannel.data)).toEqual([id(5), id(2)]);
    const byTag = await svix.message.list(appId, { tag: "vip" });
    expect(idsOf(byTag.data)).toEqual([id(4), id(1)]);
    const before = await svix.message.list(appId, { before: boundary });
    expect(idsOf(before.data)).toEqual([id(2), id(1)]);
    const after = await svix.message.list(appId, { after: boundary });
    expect(idsOf(after.data)).toEqual([id(5), id(4), id(3)]);
    const window = await svix.message.list(appId, {
      after: boundary,
      before: new Date(m[4]?.timestamp ?? 0),
    });
    expect(idsOf(window.data)).toEqual([id(3)]);

    const pages: string[][] = [];
    let iterator: string | null | undefined;
    for (;;) {
      const page = await svix.message.list(appId, { limit: 2, iterator });
      pages.push(idsOf(page.data));
      if (page.done) break;
      iterator = page.iterator;
      expect(pages.length).toBeLessThan(5);
    }
    expect(pages).toEqual([[id(5), id(4)], [id(3), id(2)], [id(1)]]);
    // Filters and the iterator together.
    const first = await svix.message.list(appId, { limit: 1, tag: "vip" });
    expect(first).toMatchObject({ done: false });
    const second = await svix.message.list(appId, { limit: 1, tag: "vip", iterator: first.iterator });
    expect([...idsOf(first.data), ...idsOf(second.data)]).toEqual([id(4), id(1)]);
  });

  it("messageAttempt.listByEndpoint: status, statusCodeClass, eventTypes, channel, tag, withMsg, withContent", async () => {
    // Endpoint 1: m1 200, m2 200, m3 500 x2, m4 404 x2, m5 500 then 200.
    const all = await svix.messageAttempt.listByEndpoint(appId, ep1);
    expect(sorted(msgIdsOf(all.data))).toEqual(
      sorted([id(1), id(2), id(3), id(3), id(4), id(4), id(5), id(5)]),
    );
    // Newest first.
    expect(idsOf(all.data)).toEqual(sorted(idsOf(all.data)).reverse());

    const list = async (o: Parameters<Svix["messageAttempt"]["listByEndpoint"]>[2]) =>
      (await svix.messageAttempt.listByEndpoint(appId, ep1, o)).data;

    const success = await list({ status: 0 });
    expect(sorted(msgIdsOf(success))).toEqual(sorted([id(1), id(2), id(5)]));
    expect(success.every((a) => a.status === 0 && a.responseStatusCode === 200)).toBe(true);
    const failed = await list({ status: 2 });
    expect(sorted(msgIdsOf(failed))).toEqual(sorted([id(3), id(3), id(4), id(4), id(5)]));
    expect(failed.every((a) => a.status === 2 && a.statusText === "fail")).toBe(true);
    // An attempt is never pending or sending: that is its destination's state.
    expect(await list({ status: 1 })).toEqual([]);

    expect(sorted(msgIdsOf(await list({ statusCodeClass: 500 })))).toEqual(sorted([id(3), id(3), id(5)]));
    expect(sorted(msgIdsOf(await list({ statusCodeClass: 400 })))).toEqual([id(4), id(4)]);
    expect(sorted(msgIdsOf(await list({ statusCodeClass: 200 })))).toEqual(sorted([id(1), id(2), id(5)]));
    expect(await list({ statusCodeClass: 0 })).toEqual([]);

    expect(sorted(msgIdsOf(await list({ eventTypes: ["order.paid"] })))).toEqual(
      sorted([id(2), id(3), id(3)]),
    );
    expect(sorted(msgIdsOf(await list({ channel: "eu" })))).toEqual(sorted([id(1), id(3), id(3)]));
    expect(sorted(msgIdsOf(await list({ tag: "vip" })))).toEqual(sorted([id(1), id(4), id(4)]));
    expect(sorted(msgIdsOf(await list({ tag: "vip", status: 2 })))).toEqual([id(4), id(4)]);

    // withMsg: each attempt carries its message; without it, none.
    expect(all.data.every((a) => a.msg === undefined || a.msg === null)).toBe(true);
    const withMsg = await list({ withMsg: true });
    expect(withMsg.every((a) => a.msg?.id === a.msgId)).toBe(true);
    expect(withMsg.find((a) => a.msgId === id(3))?.msg).toMatchObject({
      eventType: "order.paid",
      channels: ["eu"],
      tags: ["std"],
    });

    // withContent: the receiver's answer; the client asks without it by default.
    expect(all.data.every((a) => a.response === "")).toBe(true);
    const withContent = await list({ withContent: true });
    expect(sorted(withContent.map((a) => a.response))).toEqual(
      sorted(["ok-1", "ok-2", "fail-3", "fail-3", "fail-4", "fail-4", "flaky-5", "ok-5"]),
    );

    // Pagination of attempts.
    const page1 = await svix.messageAttempt.listByEndpoint(appId, ep1, { limit: 5 });
    const page2 = await svix.messageAttempt.listByEndpoint(appId, ep1, {
      limit: 5,
      iterator: page1.iterator,
    });
    expect(page1.done).toBe(false);
    expect(page2.done).toBe(true);
    expect([...idsOf(page1.data), ...idsOf(page2.data)]).toEqual(idsOf(all.data));

    // Endpoint 2 (channel "eu") got only m1 and m3.
    const eu = await svix.messageAttempt.listByEndpoint(appId, ep2);
    expect(sorted(msgIdsOf(eu.data))).toEqual(sorted([id(1), id(3)]));
  });

  it("messageAttempt.listByMsg: endpointId and status", async () => {
    const all = await svix.messageAttempt.listByMsg(appId, id(3));
    expect(all.data.map((a) => [a.endpointId, a.status]).sort()).toEqual(
      [
        [ep1, 2],
        [ep1, 2],
        [ep2, 0],
      ].sort(),
    );
    const toEp2 = await svix.messageAttempt.listByMsg(appId, id(3), { endpointId: ep2 });
    expect(toEp2.data.map((a) => [a.endpointId, a.status, a.responseStatusCode])).toEqual([[ep2, 0, 200]]);
    const failedOnly = await svix.messageAttempt.listByMsg(appId, id(3), { status: 2 });
    expect(failedOnly.data.map((a) => [a.endpointId, a.responseStatusCode])).toEqual([
      [ep1, 500],
      [ep1, 500],
    ]);
    const successOnly = await svix.messageAttempt.listByMsg(appId, id(3), { status: 0 });
    expect(successOnly.data.map((a) => a.endpointId)).toEqual([ep2]);
  });

  it("messageAttempt.listAttemptedMessages: status and channel", async () => {
    const all = await svix.messageAttempt.listAttemptedMessages(appId, ep1);
    expect(idsOf(all.data)).toEqual([id(5), id(4), id(3), id(2), id(1)]);
    expect(all.data.map((x) => x.status)).toEqual([0, 2, 2, 0, 0]);
    const success = await svix.messageAttempt.listAttemptedMessages(appId, ep1, { status: 0 });
    expect(idsOf(success.data)).toEqual([id(5), id(2), id(1)]);
    const failed = await svix.messageAttempt.listAttemptedMessages(appId, ep1, { status: 2 });
    expect(idsOf(failed.data)).toEqual([id(4), id(3)]);
    expect(failed.data.every((x) => x.statusText === "fail" && x.nextAttempt === null)).toBe(true);
    const eu = await svix.messageAttempt.listAttemptedMessages(appId, ep1, { channel: "eu" });
    expect(idsOf(eu.data)).toEqual([id(3), id(1)]);
    const euFailed = await svix.messageAttempt.listAttemptedMessages(appId, ep1, {
      channel: "eu",
      status: 2,
    });
    expect(idsOf(euFailed.data)).toEqual([id(3)]);
    // Endpoint 2 only has the "eu" messages, all delivered.
    const ep2Messages = await svix.messageAttempt.listAttemptedMessages(appId, ep2);
    expect(ep2Messages.data.map((x) => [x.id, x.status])).toEqual([
      [id(3), 0],
      [id(1), 0],
    ]);
  });

  it("messageAttempt.listAttemptedDestinations: each destination's own state", async () => {
    const m3 = await svix.messageAttempt.listAttemptedDestinations(appId, id(3));
    // In endpoint id order.
    expect(idsOf(m3.data)).toEqual(sorted([ep1, ep2]));
    expect(Object.fromEntries(m3.data.map((d) => [d.id, [d.status, d.statusText]]))).toEqual({
      [ep1]: [2, "fail"],
      [ep2]: [0, "success"],
    });
    expect(m3.data.every((d) => d.nextAttempt === null)).toBe(true);
    const m2 = await svix.messageAttempt.listAttemptedDestinations(appId, id(2));
    expect(m2.data.map((d) => [d.id, d.status])).toEqual([[ep1, 0]]);
  });

  it("endpoint.getStats counts deliveries by state, within since/until", async () => {
    expect(await svix.endpoint.getStats(appId, ep1)).toEqual({
      success: 3,
      pending: 0,
      sending: 0,
      fail: 2,
      canceled: 0,
    });
    expect(await svix.endpoint.getStats(appId, ep2)).toMatchObject({ success: 2, fail: 0, pending: 0 });
    // Only the messages after the boundary: m3, m4 failed, m5 delivered.
    expect(await svix.endpoint.getStats(appId, ep1, { since: boundary })).toMatchObject({
      success: 1,
      fail: 2,
    });
    // Before anything was sent: nothing.
    expect(
      await svix.endpoint.getStats(appId, ep1, {
        since: new Date(start.getTime() - 3_600_000),
        until: start,
      }),
    ).toMatchObject({ success: 0, fail: 0, pending: 0, sending: 0 });
  });

  it("message.expungeContent and messageAttempt.expungeContent", async () => {
    const before = await svix.message.get(appId, id(1), { withContent: true });
    expect(before.payload).toEqual({ n: 1 });
    await svix.message.expungeContent(appId, id(1));
    expect((await svix.message.get(appId, id(1), { withContent: true })).payload).toEqual({});
    // Only that message's content went.
    expect((await svix.message.get(appId, id(2), { withContent: true })).payload).toEqual({ n: 2 });
    const listed = await svix.message.list(appId, { withContent: true });
    expect(listed.data.map((x) => (x.payload as Payload).n ?? null)).toEqual([5, 4, 3, 2, null]);

    const [attempt] = (await svix.messageAttempt.listByMsg(appId, id(2), { withContent: true })).data;
    expect(attempt?.response).toBe("ok-2");
    await svix.messageAttempt.expungeContent(appId, id(2), attempt?.id ?? "");
    expect((await svix.messageAttempt.get(appId, id(2), attempt?.id ?? "")).response).toBe("");
    const [other] = (
      await svix.messageAttempt.listByMsg(appId, id(3), { endpointId: ep2, withContent: true })
    ).data;
    expect(other?.response).toBe("ok2-3");
  });

  it("endpoint.recover re-sends the failed deliveries; its background task finishes and is listed", async () => {
    healed = true;
    const requestsBefore = picky.requests.length;
    const task = await svix.endpoint.recover(appId, ep1, { since: start });
    expect(task).toMatchObject({ task: "endpoint.recover" });
    expect(task.id).toMatch(/^qtask_/);
    await expect
      .poll(async () => (await svix.backgroundTask.get(task.id)).status, { timeout: 20_000, interval: 250 })
      .toBe("finished");
    const got = await svix.backgroundTask.get(task.id);
    expect(got).toMatchObject({ id: task.id, task: "endpoint.recover", status: "finished" });
    expect(got.data).toMatchObject({ endpointId: ep1 });

    // Exactly the two failed deliveries are sent again, as manual attempts that now succeed.
    await picky.waitFor((reqs) => reqs.length >= requestsBefore + 2, 20_000, gateway);
    await sleep(1500);
    const resent = picky.requests.slice(requestsBefore).map((r) => String(r.headers["webhook-id"]));
    expect(sorted(resent)).toEqual(sorted([id(3), id(4)]));
    for (const n of [3, 4]) {
      await expect
        .poll(async () => (await svix.messageAttempt.listByMsg(appId, id(n), { endpointId: ep1 })).data[0], {
          timeout: 10_000,
        })
        .toMatchObject({ status: 0, triggerType: 1 });
      const attempts = await svix.messageAttempt.listByMsg(appId, id(n), { endpointId: ep1 });
      expect(attempts.data.map((a) => a.status)).toEqual([0, 2, 2]);
    }
    expect(
      (await svix.messageAttempt.listAttemptedDestinations(appId, id(3))).data.map((d) => d.status),
    ).toEqual([0, 0]);

    const tasks = await svix.backgroundTask.list();
    expect(idsOf(tasks.data)).toContain(task.id);
    const finished = await svix.backgroundTask.list({ status: BackgroundTaskStatus.Finished });
    expect(idsOf(finished.data)).toContain(task.id);
    const running = await svix.backgroundTask.list({ status: BackgroundTaskStatus.Running });
    expect(idsOf(running.data)).not.toContain(task.id);
  });

  it("a scheduled message's destination is pending before its first attempt, and counts as pending", async () => {
    const app = await svix.application.create({ name: "scheduled" });
    const ep = await svix.endpoint.create(app.id, { url: `${ok.url}/scheduled` });
    const msg = await svix.message.create(app.id, {
      eventType: "order.created",
      payload: { n: 99 },
      deliverAt: new Date(Date.now() + 10 * 60_000),
    });
    expect(msg.deliverAt).toBeInstanceOf(Date);
    const listed = await svix.messageAttempt.listAttemptedMessages(app.id, ep.id);
    expect(listed.data.map((x) => [x.id, x.status])).toEqual([[msg.id, 1]]);
    const dest = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
    expect(dest.data.map((d) => [d.id, d.status])).toEqual([[ep.id, 1]]);
    expect((await svix.messageAttempt.listByMsg(app.id, msg.id)).data).toEqual([]);
    expect(await svix.endpoint.getStats(app.id, ep.id)).toMatchObject({ pending: 1, success: 0, fail: 0 });
  });
});
