import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { endpointMatches } from "../../src/services/messages";
import { createApp, json } from "../helpers";
import {
  createEndpoint,
  createEventType,
  type MessageOut,
  messageRow,
  postMessage,
} from "./delivery-fixtures";

// The common ingest path is one D1 batch that fans out in SQL (src/db/message-ingest.ts); the
// slow path decides in JS (endpointMatches). Both must pick the same endpoints.

afterEach(() => {
  vi.restoreAllMocks();
});

function quietQueue() {
  vi.spyOn(env.DELIVERIES, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
}

describe("ingest in one D1 round trip", () => {
  it("commits a message without schema or key with a single D1 batch and no other query", async () => {
    quietQueue();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const batch = vi.spyOn(env.DB, "batch");
    const prepare = vi.spyOn(env.DB, "prepare");
    const res = await postMessage(app.id, { eventType: "user.created", payload: { a: 1 } });
    expect(res.status).toBe(202);
    expect(batch).toHaveBeenCalledTimes(1);
    // Every statement prepared went into that batch: no separate first()/all()/run().
    expect(prepare.mock.calls.length).toBe(batch.mock.calls[0]?.[0].length);
    const out = await json<MessageOut>(res);
    expect(JSON.parse((await messageRow(app.id, out.id))?.destinations ?? "[]")).toEqual([ep.id]);
  });

  it("takes one batch with an idempotency key, and the repeat returns the original", async () => {
    quietQueue();
    const app = await createApp();
    await createEndpoint(app.id);
    const batch = vi.spyOn(env.DB, "batch");
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const first = await json<MessageOut>(
      await postMessage(app.id, { eventType: "user.created", payload: { n: 1 } }, headers),
    );
    expect(batch).toHaveBeenCalledTimes(1);
    const again = await json<MessageOut>(
      await postMessage(app.id, { eventType: "user.created", payload: { n: 2 } }, headers),
    );
    expect(again.id).toBe(first.id);
    expect(again.payload).toEqual({ n: 1 });
  });

  it("falls back to the schema check for an event type with a schema (nothing written before it)", async () => {
    quietQueue();
    const app = await createApp();
    const type = await createEventType({ schemas: { "1": { type: "object", required: ["id"] } } });
    const bad = await postMessage(app.id, { eventType: type, payload: { other: 1 } });
    expect(bad.status).toBe(422);
    const { results } = await env.DB.prepare("SELECT id FROM messages WHERE app_id = ?1").bind(app.id).all();
    expect(results).toHaveLength(0);
    expect((await postMessage(app.id, { eventType: type, payload: { id: 1 } })).status).toBe(202);
  });

  it("answers 404 for an unknown application and writes nothing", async () => {
    quietQueue();
    const res = await postMessage("app_doesnotexist", { eventType: "user.created", payload: {} });
    expect(res.status).toBe(404);
  });

  it("selects exactly the endpoints endpointMatches selects, for every filter combination", async () => {
    quietQueue();
    const app = await createApp();
    const [a, b] = [await createEventType(), await createEventType()];
    const typeFilters = [null, "[]", JSON.stringify([a]), JSON.stringify([b]), JSON.stringify([a, b])];
    const channelFilters = [null, "[]", '["c1"]', '["c2"]', '["c1","c2"]'];
    const endpoints: { id: string; event_types: string | null; channels: string | null }[] = [];
    for (const event_types of typeFilters) {
      for (const channels of channelFilters) {
        const { id } = await createEndpoint(app.id);
        // Written directly: the API refuses empty filter lists, older rows may still hold them.
        await env.DB.prepare(
          "UPDATE endpoints SET event_types = ?1, channels = ?2 WHERE app_id = ?3 AND id = ?4",
        )
          .bind(event_types, channels, app.id, id)
          .run();
        endpoints.push({ id, event_types, channels });
      }
    }
    for (const eventType of [a, b, "other.type"]) {
      for (const channels of [null, ["c1"], ["c2"], ["c1", "c3"], ["c3"]]) {
        const res = await postMessage(app.id, { eventType, payload: {}, ...(channels ? { channels } : {}) });
        expect(res.status).toBe(202);
        const out = await json<MessageOut>(res);
        const stored = JSON.parse((await messageRow(app.id, out.id))?.destinations ?? "[]") as string[];
        const expected = endpoints
          .filter((ep) => endpointMatches(ep, eventType, channels))
          .map((ep) => ep.id);
        expect(stored.sort(), `${eventType} ${JSON.stringify(channels)}`).toEqual(expected.sort());
      }
    }
  });
});
