import { describe, expect, it } from "vitest";
import { newId, newMessageId } from "../../src/lib/ids";
import { PAGE_SPAN_MS } from "../../src/log/attempt-pages";
import type { AttemptRow } from "../../src/log/records";
import { createApp } from "../helpers";
import { inLog } from "./delivery-fixtures";

// The attempt store keeps retry-waiting attempts as rows and every other one packed in pages;
// its reads must see one list. Checked against a plain list of what was written, over many
// record calls, endpoints, message buckets and page spans.
function random(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const byId = (a: AttemptRow, b: AttemptRow) => (a.id < b.id ? -1 : 1);

describe("attempt store (rows and pages)", () => {
  it("lists, finds, expunges and forgets attempts exactly as written", async () => {
    const app = await createApp();
    const rnd = random(7);
    const base = Date.now() - 3_600_000;
    const endpoints = ["ep_a", "ep_b", "ep_c"];
    const messages = Array.from({ length: 60 }, (_, i) => ({
      id: newMessageId(0, base + i * 4_000),
      at: base + i * 4_000,
    }));
    const written: AttemptRow[] = [];
    let clock = base;
    // 25 record calls; each makes attempts for random deliveries, some waiting for a retry.
    for (let call = 0; call < 25; call++) {
      clock += 30_000 + Math.floor(rnd() * 90_000);
      const rows: AttemptRow[] = [];
      // Every fifth call is a big batch whose attempts interleave across many message buckets
      // (so its pages overlap in attempt ids) and outlast a page's span.
      const big = call % 5 === 4;
      const n = big ? 60 : 1 + Math.floor(rnd() * 12);
      for (let k = 0; k < n; k++) {
        // A big batch goes to one endpoint, for messages of three buckets: long, interleaved pages.
        const pick = big ? call + 3 * Math.floor(rnd() * 3) : Math.floor(rnd() * messages.length);
        const m = messages[pick] as { id: string; at: number };
        const step = big ? PAGE_SPAN_MS / 20 : Math.floor(rnd() * PAGE_SPAN_MS * 0.05);
        const at = Math.max(m.at + 1, clock + k * step);
        const retry = rnd() < 0.3;
        rows.push({
          msg_id: m.id,
          endpoint_id: big ? "ep_a" : (endpoints[Math.floor(rnd() * endpoints.length)] as string),
          id: newId("atmpt", at),
          url: "https://r.example.com/h",
          status: rnd() < 0.6 ? 0 : 2,
          response_status_code: rnd() < 0.6 ? 200 : 500,
          response: `r${call}.${k}`,
          response_duration_ms: k,
          trigger_type: rnd() < 0.1 ? 1 : 0,
          next_attempt_at: retry ? at + 60_000 : null,
          created_at: at,
        });
      }
      const fresh = await inLog(app.id, (log) => log.attempts.insertAll(rows).length);
      expect(fresh).toBe(rows.length);
      // A repeated report records nothing.
      expect(await inLog(app.id, (log) => log.attempts.insertAll(rows).length)).toBe(0);
      written.push(...rows);
    }

    for (const ep of endpoints) {
      const expected = written.filter((a) => a.endpoint_id === ep).sort(byId);
      for (const direction of ["DESC", "ASC"] as const) {
        const want = direction === "DESC" ? [...expected].reverse() : expected;
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 100; page++) {
          const rows = await inLog(app.id, (log) =>
            log.attempts.listByEndpoint(ep, { cursor }, direction, 7),
          );
          seen.push(...rows.slice(0, 7).map((a) => a.id));
          if (rows.length <= 7) break;
          cursor = rows[6]?.id ?? null;
        }
        expect(seen).toEqual(want.map((a) => a.id));
      }
      // Filters on status and time bounds.
      const failed = expected.filter((a) => a.status === 2).reverse();
      const rows = await inLog(app.id, (log) => log.attempts.listByEndpoint(ep, { status: 2 }, "DESC", 500));
      expect(rows.map((a) => a.id)).toEqual(failed.map((a) => a.id));
    }

    for (const m of messages) {
      const mine = written.filter((a) => a.msg_id === m.id).sort(byId);
      const got = await inLog(app.id, (log) => log.attempts.listByMessage(m.id, {}, "ASC", 500));
      expect(got.map((a) => a.id)).toEqual(mine.map((a) => a.id));
      for (const ep of endpoints) {
        const latest = mine.filter((a) => a.endpoint_id === ep).at(-1);
        expect((await inLog(app.id, (log) => log.attempts.latest(m.id, ep)))?.id).toBe(latest?.id);
      }
    }
    // Only a delivery's latest attempt may wait for a retry.
    const waiting = await inLog(app.id, (log) => log.attempts.due(Number.MAX_SAFE_INTEGER, 10_000));
    for (const a of waiting) {
      const latest = written
        .filter((w) => w.msg_id === a.msg_id && w.endpoint_id === a.endpoint_id)
        .sort(byId)
        .at(-1);
      expect(a.id).toBe(latest?.id);
    }

    const attempted = await inLog(app.id, (log) =>
      log.attempts.attemptedBetween(messages[0]?.id ?? "", messages.at(-1)?.id ?? ""),
    );
    expect(attempted).toEqual(new Set(written.map((a) => `${a.msg_id}|${a.endpoint_id}`)));

    // Expunging one attempt's response, wherever it is kept.
    const packed = written.find((a) => a.next_attempt_at === null) as AttemptRow;
    const single = written.find((a) => a.next_attempt_at !== null) as AttemptRow;
    for (const a of [packed, single]) {
      expect(await inLog(app.id, (log) => log.attempts.expungeResponse(a.msg_id, a.id))).toBe(true);
      expect((await inLog(app.id, (log) => log.attempts.get(a.msg_id, a.id)))?.response).toBe("");
    }

    // Stats' view: the endpoint's latest attempt per message.
    const first = messages[0]?.id ?? "";
    const latestA = await inLog(app.id, (log) =>
      log.attempts.latestByEndpoint("ep_a", first, `${messages.at(-1)?.id}~`),
    );
    const expectedA = new Map<string, string>();
    for (const a of written.filter((w) => w.endpoint_id === "ep_a").sort(byId)) expectedA.set(a.msg_id, a.id);
    expect(new Map(latestA.map((a) => [a.msg_id, a.id]))).toEqual(expectedA);

    // Forgetting an endpoint removes its rows and pages, and nothing else.
    while ((await inLog(app.id, (log) => log.attempts.forgetEndpoint("ep_b", 5))) > 0) {}
    expect(await inLog(app.id, (log) => log.attempts.listByEndpoint("ep_b", {}, "DESC", 500))).toEqual([]);
    const others = written.filter((a) => a.endpoint_id !== "ep_b").length;
    const left = await inLog(app.id, (log) =>
      messages.reduce((n, m) => n + log.attempts.listByMessage(m.id, {}, "ASC", 500).length, 0),
    );
    expect(left).toBe(others);
  });
});
