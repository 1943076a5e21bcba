import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newMessageId } from "../../src/lib/ids";
import type { AppLog } from "../../src/log/app-log";
import type { NewMessage } from "../../src/log/message-store";
import type { IngestRequest } from "../../src/log/protocol";
import { createApp } from "../helpers";
import { drained, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { countMessages, createEndpoint, inLog, logStub, postMessage } from "./delivery-fixtures";

// Ingests of one commit window share one write (AppLog.ingest): their key checks must see each
// other before anything is written, and a failed write must fail them all.
const DAY = 86_400_000;

function request(key: string | null, eventId: string | null = null): IngestRequest {
  const now = Date.now();
  return {
    uid: null,
    idempotencyKey: key,
    message: {
      id: newMessageId(0, now),
      event_type: "user.signup",
      event_id: eventId,
      channels: null,
      tags: null,
      payload: JSON.stringify({ key, eventId }),
      created_at: now,
      expires_at: now + 90 * DAY,
      deliver_at: null,
    },
  };
}

afterEach(() => vi.restoreAllMocks());

describe("ingest commit window", () => {
  it("gives one message to concurrent ingests with one idempotency key or eventId, in one write", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    const endpoint = await createEndpoint(app.id);
    const ident = { appId: app.id, shard: 0 };
    const reqs = [
      request("same-key"),
      request("same-key"),
      request("other-key", "evt-1"),
      request(null, "evt-1"),
      request("same-key"),
    ];
    const { results, writes } = await runInDurableObject(logStub(app.id), async (log: AppLog) => {
      await log.configChanged(ident);
      const insert = vi.spyOn(log.messages, "insertMany");
      const results = await Promise.all(reqs.map((r) => log.ingest(ident, r)));
      return { results, writes: insert.mock.calls.map(([batch]) => batch.map((m) => m.row.id)) };
    });
    expect(results.map((r) => r.kind)).toEqual(["created", "duplicate", "created", "conflict", "duplicate"]);
    const first = reqs[0]?.message.id;
    for (const i of [1, 4]) {
      const r = results[i];
      expect(r?.kind === "duplicate" && r.message.id).toBe(first);
    }
    // One window, one write: the two new messages only.
    expect(writes).toEqual([[first, reqs[2]?.message.id]]);
    expect(await countMessages(app.id)).toBe(2);
    await drained(app.id);
    const sent = sentDeliveries(spy).filter((d) => d.appId === app.id);
    expect(sent.map((d) => [d.m, d.e]).sort()).toEqual(
      [
        [first, endpoint.id],
        [reqs[2]?.message.id, endpoint.id],
      ].sort(),
    );
  });

  it("answers concurrent HTTP requests with one idempotency key with one message", async () => {
    spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => postMessage(app.id, {}, { "idempotency-key": "http-key" })),
    );
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(1);
    expect(await countMessages(app.id)).toBe(1);
  });

  it("fails every ingest of a window whose write fails, and stores nothing of it", async () => {
    const spy = spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const ident = { appId: app.id, shard: 0 };
    const reqs = [request("k1"), request("k2", "evt-2"), request(null), request("k1")];
    const outcomes = await runInDurableObject(logStub(app.id), async (log: AppLog) => {
      await log.configChanged(ident);
      const real = log.messages.insertMany.bind(log.messages);
      // The write gets as far as the page and the keys, then fails: the transaction undoes it.
      vi.spyOn(log.messages, "insertMany").mockImplementation((batch: NewMessage[]) => {
        real(batch);
        throw new Error("storage failed");
      });
      const settled = await Promise.allSettled(reqs.map((r) => log.ingest(ident, r)));
      vi.restoreAllMocks();
      return settled.map((s) => (s.status === "rejected" ? String(s.reason) : s.value.kind));
    });
    expect(outcomes).toEqual([
      "Error: storage failed",
      "Error: storage failed",
      "Error: storage failed",
      "Error: storage failed",
    ]);
    expect(await countMessages(app.id)).toBe(0);
    for (const [kind, key] of [
      ["k", "k1"],
      ["k", "k2"],
      ["e", "evt-2"],
    ] as const) {
      expect(await inLog(app.id, (log) => log.messages.findByKey(kind, key, Date.now()))).toBeNull();
    }
    await drained(app.id);
    expect(sentDeliveries(spy).filter((d) => d.appId === app.id)).toEqual([]);
    // Nothing of it remains: the same keys make new messages.
    const again = await inLog(app.id, (log) => log.ingest(ident, request("k1")));
    expect(again.kind).toBe("created");
    expect(await countMessages(app.id)).toBe(1);
  });

  it("writes nothing of a window whose application is deleted before the write", async () => {
    spySendBatch();
    const app = await createApp();
    await createEndpoint(app.id);
    const ident = { appId: app.id, shard: 0 };
    // A first message loads the object's copy of the configuration.
    expect((await postMessage(app.id, {})).status).toBe(202);
    const outcome = await runInDurableObject(logStub(app.id), async (log: AppLog) => {
      const pending = Promise.allSettled([
        log.ingest(ident, request(null)),
        log.ingest(ident, request(null)),
      ]);
      // Both join the open window (their checks need no I/O now), then the application goes.
      for (let i = 0; i < 10; i++) await Promise.resolve();
      await log.destroy();
      return (await pending).map((r) => (r.status === "rejected" ? String(r.reason) : r.status));
    });
    expect(outcome).toEqual([expect.stringMatching(/deleted/), expect.stringMatching(/deleted/)]);
    expect(await countMessages(app.id)).toBe(0);
  });
});
