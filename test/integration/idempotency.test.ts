import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createApp, json } from "../helpers";
import { drained, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { countMessages, createEndpoint, createMessage } from "./delivery-fixtures";

// idempotency-key on every POST Svix honours it on (message create has its own tests): the
// same key twice gives the same status and body, byte for byte, and one effect.

afterEach(() => {
  vi.restoreAllMocks();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${counter++}`;

const post = (path: string, key: string | null, body?: unknown) =>
  api("POST", path, body, { headers: key === null ? {} : { "idempotency-key": key } });

interface Answer {
  status: number;
  text: string;
  replayed: boolean;
}

const answer = async (res: Response): Promise<Answer> => ({
  status: res.status,
  text: await res.text(),
  replayed: res.headers.get("idempotent-replayed") === "true",
});

/** Sends the request twice with one key; both answers must be the same bytes. */
async function twice(path: string, body?: unknown): Promise<[Answer, Answer]> {
  const key = unique("key");
  const first = await answer(await post(path, key, body));
  const second = await answer(await post(path, key, body));
  expect(first.replayed).toBe(false);
  expect(second).toEqual({ ...first, replayed: true });
  return [first, second];
}

const count = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0;

const endpointCount = (appId: string) =>
  count("SELECT COUNT(*) AS n FROM endpoints WHERE app_id = ?1", appId);

const secretOf = async (appId: string, epId: string) =>
  (await json<{ key: string }>(await api("GET", `/api/v1/app/${appId}/endpoint/${epId}/secret`))).key;

describe("idempotency-key: one effect per key on each route", () => {
  it("creates one application", async () => {
    const name = unique("idem-app");
    const [first] = await twice("/api/v1/app", { name });
    expect(first.status).toBe(201);
    expect(await count("SELECT COUNT(*) AS n FROM applications WHERE name = ?1", name)).toBe(1);
  });

  it("creates one endpoint", async () => {
    const app = await createApp();
    const [first] = await twice(`/api/v1/app/${app.id}/endpoint`, { url: "https://example.com/hook" });
    expect(first.status).toBe(201);
    expect(await endpointCount(app.id)).toBe(1);
  });

  it("creates one event type, and the repeat answers 201 rather than the name's 409", async () => {
    const name = unique("idem.type");
    const [first] = await twice("/api/v1/event-type", { name, description: "idempotent" });
    expect(first.status).toBe(201);
    expect(await count("SELECT COUNT(*) AS n FROM event_types WHERE name = ?1", name)).toBe(1);
    expect((await post("/api/v1/event-type", null, { name, description: "idempotent" })).status).toBe(409);
  });

  it("starts one recovery task", async () => {
    spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const [first] = await twice(`/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { since });
    expect(first.status).toBe(202);
    const tasks = await count(
      "SELECT COUNT(*) AS n FROM background_tasks WHERE app_id = ?1 AND task = 'endpoint.recover'",
      app.id,
    );
    expect(tasks).toBe(1);
  });

  it("rotates the secret once", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const path = `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`;
    const key = unique("rotate");
    const first = await answer(await post(path, key, {}));
    expect(first.status).toBe(204);
    const afterFirst = await secretOf(app.id, ep.id);
    const second = await answer(await post(path, key, {}));
    expect(second).toEqual({ ...first, replayed: true });
    expect(await secretOf(app.id, ep.id)).toBe(afterFirst);
    // Without a body too (the svix client may send none).
    const bare = unique("rotate-bare");
    expect((await post(path, bare)).status).toBe(204);
    const rotated = await secretOf(app.id, ep.id);
    expect(rotated).not.toBe(afterFirst);
    expect((await post(path, bare)).status).toBe(204);
    expect(await secretOf(app.id, ep.id)).toBe(rotated);
  });

  it("sends one example message", async () => {
    spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const [first] = await twice(`/api/v1/app/${app.id}/endpoint/${ep.id}/send-example`, {
      eventType: "svix.ping",
    });
    expect(first.status).toBe(200);
    expect(await countMessages(app.id)).toBe(1);
  });

  it("queues one resend", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const msg = await createMessage(app.id);
    await drained(app.id);
    const [first] = await twice(`/api/v1/app/${app.id}/msg/${msg.id}/endpoint/${ep.id}/resend`);
    expect(first.status).toBe(202);
    const manual = sentDeliveries(send).filter((d) => d.appId === app.id && d.t === 1);
    expect(manual).toHaveLength(1);
  });
});

describe("idempotency-key semantics", () => {
  it("runs two parallel requests with one key once, and both get the same answer", async () => {
    const app = await createApp();
    const key = unique("parallel");
    const path = `/api/v1/app/${app.id}/endpoint`;
    const body = { url: "https://example.com/hook" };
    const answers = await Promise.all([1, 2, 3].map(() => post(path, key, body).then(answer)));
    expect(new Set(answers.map((a) => `${a.status} ${a.text}`)).size).toBe(1);
    expect(answers[0]?.status).toBe(201);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await endpointCount(app.id)).toBe(1);
  });

  it("runs requests with different keys, or without a key, each time", async () => {
    const app = await createApp();
    const path = `/api/v1/app/${app.id}/endpoint`;
    const body = { url: "https://example.com/hook" };
    expect((await post(path, unique("a"), body)).status).toBe(201);
    expect((await post(path, unique("b"), body)).status).toBe(201);
    expect((await post(path, null, body)).status).toBe(201);
    expect((await post(path, null, body)).status).toBe(201);
    expect(await endpointCount(app.id)).toBe(4);
  });

  it("scopes a key to its path: the same key on another application's route runs again", async () => {
    const [a, b] = [await createApp(), await createApp()];
    const key = unique("scoped");
    const body = { url: "https://example.com/hook" };
    expect((await post(`/api/v1/app/${a.id}/endpoint`, key, body)).status).toBe(201);
    const other = await answer(await post(`/api/v1/app/${b.id}/endpoint`, key, body));
    expect(other).toMatchObject({ status: 201, replayed: false });
    expect([await endpointCount(a.id), await endpointCount(b.id)]).toEqual([1, 1]);
  });

  it("answers 422 to the same key with another body or query, and changes nothing", async () => {
    const app = await createApp();
    const path = `/api/v1/app/${app.id}/endpoint`;
    const key = unique("reused");
    expect((await post(path, key, { url: "https://example.com/a" })).status).toBe(201);
    const other = await post(path, key, { url: "https://example.com/b" });
    expect(other.status).toBe(422);
    expect(await json(other)).toEqual({
      detail: [
        { loc: ["header", "idempotency-key"], msg: expect.any(String), type: "idempotency_key_reused" },
      ],
    });
    const name = unique("query");
    expect((await post("/api/v1/app", key, { name })).status).toBe(201);
    expect((await post("/api/v1/app?get_if_exists=true", key, { name })).status).toBe(422);
    expect(await endpointCount(app.id)).toBe(1);
  });

  it("stores 4xx answers: a repeat gets the 404 although the application exists since", async () => {
    const uid = unique("later");
    const key = unique("404");
    const body = { url: "https://example.com/hook" };
    const first = await answer(await post(`/api/v1/app/${uid}/endpoint`, key, body));
    expect(first.status).toBe(404);
    const app = await createApp({ name: "later", uid });
    const second = await answer(await post(`/api/v1/app/${uid}/endpoint`, key, body));
    expect(second).toEqual({ ...first, replayed: true });
    expect(await endpointCount(app.id)).toBe(0);
  });

  it("accepts keys of up to 256 characters; a longer or empty key is a 422 and changes nothing", async () => {
    const app = await createApp();
    const path = `/api/v1/app/${app.id}/endpoint`;
    const body = { url: "https://example.com/hook" };
    expect((await post(path, "k".repeat(256), body)).status).toBe(201);
    for (const key of ["k".repeat(257), ""]) {
      const res = await post(path, key, body);
      expect(res.status).toBe(422);
      expect((await json<{ detail: { loc: string[] }[] }>(res)).detail[0]?.loc).toEqual([
        "header",
        "idempotency-key",
      ]);
    }
    expect(await endpointCount(app.id)).toBe(1);
  });

  it("documents the header on each idempotent POST", async () => {
    const doc = await json<{
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    }>(await api("GET", "/api/v1/openapi.json"));
    const idempotent = [
      "/api/v1/app",
      "/api/v1/app/{app_id}/endpoint",
      "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
      "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
      "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
      "/api/v1/app/{app_id}/msg",
      "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
      "/api/v1/event-type",
    ];
    for (const path of idempotent) {
      const params = doc.paths[path]?.post?.parameters ?? [];
      expect(params, path).toContainEqual(expect.objectContaining({ name: "idempotency-key", in: "header" }));
    }
  });
});
