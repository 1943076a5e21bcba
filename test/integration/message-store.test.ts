import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idAt, idTime, newMessageId } from "../../src/lib/ids";
import { MESSAGE_BUCKET_MS } from "../../src/log/message-pages";
import type { MessageFilter, NewMessage } from "../../src/log/message-store";
import { PARTITION_MS } from "../../src/log/partitions";
import type { StoredMessage } from "../../src/log/records";
import { createApp } from "../helpers";
import { inLog, logStub } from "./delivery-fixtures";

// The message store keeps most messages packed in pages (one per commit and bucket), scheduled
// and short-retention ones as rows; its reads must see one list. Checked against a plain list
// of what was written, over many commits whose pages interleave within their buckets, many
// buckets and two days.
function random(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const byId = (a: StoredMessage, b: StoredMessage) => (a.id < b.id ? -1 : 1);
const NO_FILTER: MessageFilter = {
  fromId: null,
  toId: null,
  cursor: null,
  eventTypes: null,
  channel: null,
  tag: null,
};

describe("message store (pages and rows)", () => {
  it("gets, lists, scans, expunges and purges messages exactly as written", async () => {
    const app = await createApp();
    const rnd = random(11);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)] as T;
    // Twenty minutes either side of a midnight: two days' tables.
    const midnight = Math.floor(Date.now() / PARTITION_MS) * PARTITION_MS;
    const base = midnight - 20 * 60_000;
    const now = midnight + 30 * 60_000;
    // Commit windows start at a few anchors only, so that many commits share buckets and their
    // pages interleave (a commit's ids spread over 2.5 s: up to three buckets).
    const anchors = Array.from({ length: 12 }, (_, i) => base + i * 200_000 + Math.floor(rnd() * 3) * 1_000);
    const written: StoredMessage[] = [];
    const purgeAt = new Map<string, number>();
    const keys: { kind: "k" | "e"; key: string; id: string }[] = [];
    for (let commit = 0; commit < 60; commit++) {
      const anchor = pick(anchors);
      const batch: NewMessage[] = [];
      const n = 1 + Math.floor(rnd() * 14);
      for (let k = 0; k < n; k++) {
        const at = anchor + Math.floor(rnd() * 2.5 * MESSAGE_BUCKET_MS);
        const kind = rnd();
        const row: StoredMessage = {
          id: newMessageId(0, at),
          event_type: pick(["a.created", "a.updated", "b.deleted"]),
          event_id: rnd() < 0.2 ? `evt-${commit}-${k}` : null,
          channels: rnd() < 0.5 ? JSON.stringify([pick(["red", "blue"])]) : null,
          tags: rnd() < 0.3 ? JSON.stringify(["t1"]) : null,
          payload: JSON.stringify({ commit, k, text: "x".repeat(Math.floor(rnd() * 300)) }),
          destinations: JSON.stringify(["ep_a", "ep_b", "ep_c"].filter(() => rnd() < 0.6)),
          created_at: at,
          expires_at: at + 90 * PARTITION_MS,
          // A few scheduled messages: single rows.
          deliver_at: kind < 0.1 ? at + 3_600_000 : null,
        };
        const purge = kind >= 0.1 && kind < 0.2 ? at + 7_200_000 : null;
        if (purge !== null) {
          row.expires_at = purge;
          purgeAt.set(row.id, purge);
        }
        const own: NewMessage["keys"] = [];
        if (rnd() < 0.5) own.push({ kind: "k", key: `key-${commit}-${k}` });
        if (row.event_id) own.push({ kind: "e", key: row.event_id });
        for (const key of own) keys.push({ ...key, id: row.id });
        batch.push({ row, keys: own, purgeAt: purge });
        written.push(row);
      }
      await inLog(app.id, (log) => log.messages.insertMany(batch));
    }
    written.sort(byId);
    const visible = (m: StoredMessage) => (m.expires_at <= now ? { ...m, payload: null } : m);
    const expected = written.map(visible);
    // The pages do interleave: some bucket holds pages whose id ranges overlap.
    const overlapping = await runInDurableObject(logStub(app.id), (_log, state) => {
      let n = 0;
      for (const p of [Math.floor(base / PARTITION_MS), Math.floor(now / PARTITION_MS)]) {
        n += state.storage.sql
          .exec<{ n: number }>(
            `SELECT count(*) AS n FROM mpage_${p} a JOIN mpage_${p} b
             ON a.bucket = b.bucket AND a.id < b.id AND b.id < a.max_id`,
          )
          .one().n;
      }
      return n;
    });
    expect(overlapping).toBeGreaterThan(10);

    // Every message by id; every key.
    const got = await inLog(app.id, (log) => written.map((m) => log.messages.get(m.id, now)));
    expect(got).toEqual(expected);
    // The same, all at once (a claim's read), plus an id nobody wrote.
    const many = await inLog(app.id, (log) => {
      const found = log.messages.getMany([...written.map((m) => m.id), "msg_unknown"], now);
      return written.map((m) => found.get(m.id) ?? null).concat(found.has("msg_unknown") ? [null] : []);
    });
    expect(many).toEqual(expected);
    for (const k of keys) {
      const hit = await inLog(app.id, (log) => log.messages.findByKey(k.kind, k.key, now - 60_000));
      expect(hit?.id).toBe(k.id);
    }

    // Listings in both directions, page by page, unfiltered and filtered.
    const filters: [MessageFilter, (m: StoredMessage) => boolean][] = [
      [NO_FILTER, () => true],
      [{ ...NO_FILTER, eventTypes: ["a.updated"] }, (m) => m.event_type === "a.updated"],
      [{ ...NO_FILTER, channel: "blue" }, (m) => (m.channels ?? "").includes('"blue"')],
      [{ ...NO_FILTER, tag: "t1" }, (m) => m.tags !== null],
      [{ ...NO_FILTER, endpointId: "ep_b" }, (m) => m.destinations.includes('"ep_b"')],
      [
        { ...NO_FILTER, fromId: written[40]?.id ?? null, toId: written[200]?.id ?? null },
        (m) => m.id >= (written[40]?.id ?? "") && m.id < (written[200]?.id ?? ""),
      ],
    ];
    for (const [filter, keep] of filters) {
      for (const direction of ["ASC", "DESC"] as const) {
        const want = expected.filter(keep);
        if (direction === "DESC") want.reverse();
        for (const size of [1, 7, 50]) {
          const seen: StoredMessage[] = [];
          let cursor: string | null = null;
          for (let page = 0; page < 1000; page++) {
            const rows = await inLog(app.id, (log) =>
              log.messages.list({ ...filter, cursor }, direction, size, now),
            );
            seen.push(...rows.slice(0, size));
            if (rows.length <= size) break;
            cursor = rows[size - 1]?.id ?? null;
          }
          expect(seen.map((m) => m.id)).toEqual(want.map((m) => m.id));
          expect(seen).toEqual(want);
        }
      }
    }

    // The outbox's scan: ascending chunks from a watermark, as scanFirstAttempts walks.
    for (const size of [3, 16]) {
      const seen: string[] = [];
      let from = idAt("msg", base - 1);
      for (let i = 0; i < 1000; i++) {
        const rows = await inLog(app.id, (log) => log.messages.scan(from, idAt("msg", now), size));
        seen.push(...rows.map((m) => m.id));
        if (rows.length < size) break;
        from = `${rows.at(-1)?.id}0`;
      }
      expect(seen).toEqual(written.map((m) => m.id));
    }
    const scheduled = await inLog(app.id, (log) => log.messages.scheduled(0, Number.MAX_SAFE_INTEGER, 1000));
    expect(new Set(scheduled.map((m) => m.id))).toEqual(
      new Set(written.filter((m) => m.deliver_at !== null).map((m) => m.id)),
    );

    // Expunging one paged and one single-row message; the others keep their payloads.
    const paged = written.find((m) => m.deliver_at === null && !purgeAt.has(m.id)) as StoredMessage;
    const single = written.find((m) => m.deliver_at !== null) as StoredMessage;
    for (const m of [paged, single]) {
      expect(await inLog(app.id, (log) => log.messages.expunge(m.id))).toBe(true);
      expect((await inLog(app.id, (log) => log.messages.get(m.id, now)))?.payload).toBeNull();
    }
    expect(await inLog(app.id, (log) => log.messages.expunge(newMessageId(0, base + 1)))).toBe(false);
    const after = await inLog(app.id, (log) => written.map((m) => log.messages.get(m.id, now)));
    expect(after).toEqual(
      expected.map((m) => (m.id === paged.id || m.id === single.id ? { ...m, payload: null } : m)),
    );

    // The short-retention purge: only the single rows carry a purge time.
    const purgeAll = Math.max(...purgeAt.values());
    let purged = 0;
    for (;;) {
      const n = await inLog(app.id, (log) => log.messages.purgeExpired(purgeAll, 4));
      purged += n;
      if (n < 4) break;
    }
    expect(purged).toBe([...purgeAt.keys()].filter((id) => id !== single.id).length);
    const stored = await inLog(app.id, (log) => written.map((m) => log.messages.get(m.id, 0)));
    for (const m of stored) {
      const gone = m?.id === paged.id || m?.id === single.id || purgeAt.has(m?.id ?? "");
      expect(m?.payload === null, m?.id).toBe(gone);
    }
    expect(idTime(written[0]?.id ?? "")).toBeLessThan(midnight);
  });
});
