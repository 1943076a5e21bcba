import { env } from "cloudflare:workers";
import type { Context } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { idempotency } from "../../src/api/idempotency";
import { createApp as buildApp } from "../../src/app";
import type { IdempotencyRow } from "../../src/db/idempotency";
import type { IdempotencySettings } from "../../src/services/idempotency";
import { requestHash, storeAnswer } from "../../src/services/idempotency";
import type { AppEnv } from "../../src/types";
import { ADMIN_TOKEN, api, createApp, json } from "../helpers";
import { drained, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createMessage } from "./delivery-fixtures";

// Faults at each step of the idempotency middleware (claim, handler, release, store) and claims
// left behind by a process that died: no key stays stuck, no request is lost. Faults are
// injected with SQLite triggers in the real D1, and a dead process by writing its row.

const triggers: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const name of triggers.splice(0)) await env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run();
});

let counter = 0;
const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${counter++}`;

/** Makes every statement of `event` on `table` matching `when` fail, until the test ends. */
async function failWhen(event: string, table: string, when: string) {
  const name = unique("fault");
  triggers.push(name);
  await env.DB.prepare(
    `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`,
  ).run();
  return name;
}
/**
 * The endpoint create handler throws after the claim: encrypting the new secret fails once.
 * (A trigger on endpoints would not do: the service reads any constraint error as a uid clash.)
 */
const handlerThrowsOnce = () =>
  vi.spyOn(crypto.subtle, "encrypt").mockRejectedValueOnce(new Error("injected fault"));
const heal = (name: string) => env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run();

const BODY = { url: "https://example.com/hook" };
const post = (path: string, key: string, body: unknown = BODY) =>
  api("POST", path, body, { headers: { "idempotency-key": key } });

const endpointCount = async (appId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoints WHERE app_id = ?1")
      .bind(appId)
      .first<{ n: number }>()
  )?.n ?? 0;

const keyRow = (scope: string, key: string) =>
  env.DB.prepare("SELECT * FROM idempotency_keys WHERE tenant = 'admin' AND scope = ?1 AND key = ?2")
    .bind(scope, key)
    .first<IdempotencyRow>();

/** The lease of a claim runs out (as if 60 s had passed). */
const expireLease = (scope: string, key: string) =>
  env.DB.prepare("UPDATE idempotency_keys SET lease_until = ?3 WHERE scope = ?1 AND key = ?2")
    .bind(scope, key, Date.now() - 1)
    .run();

/** An endpoint create route of a new application: its path, scope and key. */
async function endpointRoute() {
  const app = await createApp();
  const path = `/api/v1/app/${app.id}/endpoint`;
  return { app, path, scope: `POST ${path}`, key: unique("key") };
}

/** Writes the row a process leaves when it dies after claiming: running, with `leaseUntil`. */
async function deadClaim(scope: string, key: string, body: unknown, leaseUntil: number, claim = "dead") {
  const hash = await requestHash("", new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer);
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO idempotency_keys (tenant, scope, key, request_hash, state, claim, lease_until, created_at, expires_at)
     VALUES ('admin', ?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7)`,
  )
    .bind(scope, key, hash, claim, leaseUntil, now, now + 86_400_000)
    .run();
}

describe("idempotency faults", () => {
  it("claim fails: the request answers 500 and does nothing; the retry runs", async () => {
    const r = await endpointRoute();
    const fault = await failWhen("INSERT", "idempotency_keys", `NEW.key = '${r.key}'`);
    expect((await post(r.path, r.key)).status).toBe(500);
    expect(await endpointCount(r.app.id)).toBe(0);
    await heal(fault);
    expect((await post(r.path, r.key)).status).toBe(201);
    expect(await endpointCount(r.app.id)).toBe(1);
  });

  it("handler throws after the claim: the key is released and the retry runs once", async () => {
    const r = await endpointRoute();
    handlerThrowsOnce();
    expect((await post(r.path, r.key)).status).toBe(500);
    expect(await keyRow(r.scope, r.key)).toBeNull();
    expect((await post(r.path, r.key)).status).toBe(201);
    expect((await post(r.path, r.key)).headers.get("idempotent-replayed")).toBe("true");
    expect(await endpointCount(r.app.id)).toBe(1);
  });

  it("a 5xx answer (queue down on resend) releases the key; the retry queues once", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const msg = await createMessage(app.id);
    await drained(app.id);
    send.mockRejectedValueOnce(new Error("queue down"));
    const path = `/api/v1/app/${app.id}/msg/${msg.id}/endpoint/${ep.id}/resend`;
    const key = unique("resend");
    expect((await post(path, key, undefined)).status).toBe(503);
    send.mockClear(); // the spy kept the refused batch's arguments
    expect((await post(path, key, undefined)).status).toBe(202);
    expect((await post(path, key, undefined)).status).toBe(202);
    expect(sentDeliveries(send).filter((d) => d.appId === app.id && d.t === 1)).toHaveLength(1);
  });

  it("release fails after a 500: the claim stays until its lease runs out, then the retry runs", async () => {
    const r = await endpointRoute();
    handlerThrowsOnce();
    const fault = await failWhen("DELETE", "idempotency_keys", `OLD.key = '${r.key}'`);
    expect((await post(r.path, r.key)).status).toBe(500);
    expect(await keyRow(r.scope, r.key)).toMatchObject({ state: "running" });
    await heal(fault);
    await expireLease(r.scope, r.key);
    expect((await post(r.path, r.key)).status).toBe(201);
    expect(await endpointCount(r.app.id)).toBe(1);
  });

  it("storing the answer fails: the caller still gets it; after the lease the key works again", async () => {
    const r = await endpointRoute();
    const fault = await failWhen("UPDATE", "idempotency_keys", `NEW.state = 'done' AND NEW.key = '${r.key}'`);
    const first = await post(r.path, r.key);
    expect(first.status).toBe(201);
    const created = await json<{ id: string }>(first);
    expect(await endpointCount(r.app.id)).toBe(1);
    expect(await keyRow(r.scope, r.key)).toMatchObject({ state: "running" });
    await heal(fault);
    await expireLease(r.scope, r.key);
    // No answer was kept, so the request runs again; this time its answer is stored.
    const retry = await post(r.path, r.key);
    expect(retry.status).toBe(201);
    const again = await json<{ id: string }>(retry);
    expect(again.id).not.toBe(created.id);
    expect(await json(await post(r.path, r.key))).toEqual(again);
    expect(await keyRow(r.scope, r.key)).toMatchObject({ state: "done", status: 201 });
  });
});

describe("claims left by a process that died", () => {
  it("takes over a running claim whose lease ran out, and ignores the dead run's late answer", async () => {
    const r = await endpointRoute();
    await deadClaim(r.scope, r.key, BODY, Date.now() - 1);
    const res = await post(r.path, r.key);
    expect(res.status).toBe(201);
    expect(await endpointCount(r.app.id)).toBe(1);
    const stored = await storeAnswer(env.DB, { tenant: "admin", scope: r.scope, key: r.key }, "dead", {
      status: 500,
      contentType: null,
      body: "",
    });
    expect(stored).toBe(false);
    expect(await keyRow(r.scope, r.key)).toMatchObject({ state: "done", status: 201 });
  });

  it("waits for a running claim whose lease runs out meanwhile, then runs the request", async () => {
    const r = await endpointRoute();
    await deadClaim(r.scope, r.key, BODY, Date.now() + 300);
    expect((await post(r.path, r.key)).status).toBe(201);
    expect(await endpointCount(r.app.id)).toBe(1);
  });

  it("does not let another request take over a dead claim: 422", async () => {
    const r = await endpointRoute();
    await deadClaim(r.scope, r.key, { url: "https://example.com/other" }, Date.now() - 1);
    expect((await post(r.path, r.key)).status).toBe(422);
    expect(await endpointCount(r.app.id)).toBe(0);
  });
});

describe("key lifetime", () => {
  it("forgets a key after 24 hours: the request runs again, whatever its body", async () => {
    const r = await endpointRoute();
    expect((await post(r.path, r.key)).status).toBe(201);
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ?3 WHERE scope = ?1 AND key = ?2")
      .bind(r.scope, r.key, Date.now() - 1)
      .run();
    expect((await post(r.path, r.key, { url: "https://example.com/other" })).status).toBe(201);
    expect(await endpointCount(r.app.id)).toBe(2);
  });

  it("deletes expired keys in bounded batches as new keys are claimed", async () => {
    const tenant = unique("cleanup");
    const rows = Array.from({ length: 150 }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO idempotency_keys (tenant, scope, key, request_hash, state, claim, lease_until, created_at, expires_at)
         VALUES (?1, 'POST /x', ?2, 'h', 'done', 'c', 0, 0, ?3)`,
      ).bind(tenant, `k${i}`, i + 1),
    );
    await env.DB.batch(rows);
    const left = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE tenant = ?1")
          .bind(tenant)
          .first<{ n: number }>()
      )?.n;
    const r = await endpointRoute();
    await post(r.path, r.key);
    expect(await left()).toBe(50);
    await post(r.path, unique("key"));
    expect(await left()).toBe(0);
  });
});

describe("concurrent repeats", () => {
  /** A test route behind the middleware whose handler waits at a gate. */
  function gated() {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const state = { runs: 0, open };
    const path = `/api/v1/idempotency-test/${unique("gate")}`;
    const handler = async (c: Context<AppEnv>) => {
      state.runs++;
      await gate;
      return c.json({ run: state.runs }, 201);
    };
    const call = (settings: Partial<IdempotencySettings>) => {
      const app = buildApp();
      app.post(path, idempotency(settings), handler);
      return () =>
        app.request(
          path,
          {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "idempotency-key": "same" },
            body: "{}",
          },
          env,
        );
    };
    return { state, call };
  }

  it("answers 409 to a repeat that waited its time, and the first run's answer to one that waits longer", async () => {
    const { state, call } = gated();
    const first = call({})();
    await vi.waitFor(() => expect(state.runs).toBe(1));
    const impatient = await call({ waitMs: 50 })();
    expect(impatient.status).toBe(409);
    expect(await json(impatient)).toMatchObject({ code: "conflict" });
    const patient = call({ waitMs: 5_000 })();
    state.open();
    const [a, b] = await Promise.all([first, patient]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(await b.text()).toBe(await a.text());
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(state.runs).toBe(1);
  });
});
