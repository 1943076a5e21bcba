import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { shardOfMessageId } from "../../src/lib/ids";
import { ADMIN_TOKEN } from "../helpers";
import { drained, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { RECEIVER, SECRET } from "./delivery-fixtures";

// An application spread over four log shards (LOG_SHARDS=4): ids name their shard, keys hash
// to theirs, listings merge the shards in id order.
const SHARDS = 4;
const sharded: Env = { ...env, LOG_SHARDS: String(SHARDS) };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await worker.fetch(
    new Request(`https://edgehook.test${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    sharded,
    createExecutionContext(),
  );
  return {
    status: res.status,
    body: (res.status === 204 ? null : await res.json()) as Record<string, unknown>,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("log shards", () => {
  it("spreads messages over the shards and lists them merged, in id order, page by page", async () => {
    const spy = spySendBatch();
    const app = (await call("POST", "/api/v1/app", { name: "hot" })).body as { id: string };
    await call("POST", `/api/v1/app/${app.id}/endpoint`, { url: RECEIVER, secret: SECRET });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "t.x", payload: { i } });
      expect(res.status).toBe(202);
      ids.push(res.body.id as string);
    }
    const shards = new Set(ids.map((id) => shardOfMessageId(id)));
    expect(shards.size).toBeGreaterThan(1);
    for (const s of shards) expect(s).toBeLessThan(SHARDS);
    // Every shard queued its own deliveries.
    await Promise.all([...shards].map((s) => drained(app.id, s ?? 0)));
    const sent = sentDeliveries(spy);
    expect(new Set(sent.map((d) => d.m))).toEqual(new Set(ids));
    for (const d of sent) expect(d.shard).toBe(shardOfMessageId(d.m));

    const seen: string[] = [];
    let iterator: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q = `limit=15${iterator ? `&iterator=${iterator}` : ""}`;
      const res = await call("GET", `/api/v1/app/${app.id}/msg?${q}`);
      const data = res.body.data as { id: string }[];
      seen.push(...data.map((m) => m.id));
      iterator = res.body.iterator as string;
      if (res.body.done) break;
    }
    expect(seen).toEqual([...ids].sort().reverse());
    // A lookup by id goes straight to its shard.
    for (const id of ids.slice(0, 5))
      expect((await call("GET", `/api/v1/app/${app.id}/msg/${id}`)).status).toBe(200);
  });

  it("keeps eventIds and idempotency keys unique across shards", async () => {
    spySendBatch();
    const app = (await call("POST", "/api/v1/app", { name: "keys" })).body as { id: string };
    const first = await call("POST", `/api/v1/app/${app.id}/msg`, {
      eventType: "t.x",
      payload: {},
      eventId: "evt-1",
    });
    expect(first.status).toBe(202);
    const again = await call("POST", `/api/v1/app/${app.id}/msg`, {
      eventType: "t.x",
      payload: {},
      eventId: "evt-1",
    });
    expect(again.status).toBe(409);
    const byEventId = await call("GET", `/api/v1/app/${app.id}/msg/evt-1`);
    expect(byEventId.body.id).toBe(first.body.id);

    const keyed = { "idempotency-key": "key-1" };
    const a = await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "t.x", payload: { n: 1 } }, keyed);
    const b = await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "t.x", payload: { n: 1 } }, keyed);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
    const list = await call("GET", `/api/v1/app/${app.id}/msg`);
    expect((list.body.data as unknown[]).length).toBe(2);
  });
});
