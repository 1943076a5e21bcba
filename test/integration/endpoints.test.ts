import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { EndpointRow } from "../../src/db/endpoints";
import { decryptJson, encryptJson, endpointField, type SigningKeys } from "../../src/security/secrets";
import { api, createApp, json } from "../helpers";
import { drained, mockReceiver, pack, runDeliveries, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { attemptRows, createMessage, inLog } from "./delivery-fixtures";

type EndpointOut = {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  throttleRate: number | null;
  disabled: boolean;
  eventTypes: string[] | null;
  channels: string[] | null;
  metadata: Record<string, string>;
};
type Issue = { loc: (string | number)[]; msg: string; type: string };

const URL_OK = "https://example.com/hook";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let counter = 0;

async function eventType(): Promise<string> {
  const name = `ep.test.${Date.now().toString(36)}${counter++}`;
  const res = await api("POST", "/api/v1/event-type", { name, description: "for endpoint tests" });
  if (res.status !== 201) throw new Error(`eventType: ${res.status}`);
  return name;
}

async function createEndpoint(appId: string, body: Record<string, unknown> = { url: URL_OK }) {
  const res = await api("POST", `/api/v1/app/${appId}/endpoint`, body);
  if (res.status !== 201) throw new Error(`createEndpoint: ${res.status} ${await res.text()}`);
  return json<EndpointOut>(res);
}

const row = (appId: string, id: string) =>
  env.DB.prepare("SELECT * FROM endpoints WHERE app_id = ?1 AND id = ?2")
    .bind(appId, id)
    .first<EndpointRow>();

async function issues(res: Response): Promise<Issue[]> {
  expect(res.status).toBe(422);
  return (await json<{ detail: Issue[] }>(res)).detail;
}

describe("endpoints", () => {
  it("creates, gets, lists, updates, patches and deletes an endpoint", async () => {
    const app = await createApp();
    const [a, b] = [await eventType(), await eventType()];
    const created = await api("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: URL_OK,
      description: "Main",
      uid: "main",
      eventTypes: [a, b],
      channels: ["project_1"],
      throttleRate: 10,
      metadata: { team: "billing" },
    });
    expect(created.status).toBe(201);
    const ep = await json<EndpointOut>(created);
    expect(ep).toMatchObject({
      uid: "main",
      url: URL_OK,
      description: "Main",
      eventTypes: [a, b],
      channels: ["project_1"],
      throttleRate: 10,
      disabled: false,
      metadata: { team: "billing" },
    });
    expect(ep.id).toMatch(/^ep_[0-9A-Za-z]{22}$/);

    // The uid works wherever the id does, for the application too.
    expect(await json(await api("GET", `/api/v1/app/${app.id}/endpoint/main`))).toMatchObject({ id: ep.id });

    const second = await createEndpoint(app.id);
    const list = await json<{ data: EndpointOut[]; done: boolean }>(
      await api("GET", `/api/v1/app/${app.id}/endpoint`),
    );
    expect(list.data.map((e) => e.id)).toEqual([ep.id, second.id]);
    expect(list.done).toBe(true);
    const page = await json<{ data: EndpointOut[]; iterator: string; done: boolean }>(
      await api("GET", `/api/v1/app/${app.id}/endpoint?limit=1`),
    );
    expect(page.data.map((e) => e.id)).toEqual([ep.id]);
    expect(page.done).toBe(false);
    const next = await json<{ data: EndpointOut[] }>(
      await api("GET", `/api/v1/app/${app.id}/endpoint?limit=1&iterator=${page.iterator}`),
    );
    expect(next.data.map((e) => e.id)).toEqual([second.id]);

    const put = await api("PUT", `/api/v1/app/${app.id}/endpoint/main`, {
      url: "https://example.org/new",
      uid: "main",
    });
    expect(put.status).toBe(200);
    // PUT replaces: omitted fields go back to their defaults.
    expect(await json(put)).toMatchObject({
      id: ep.id,
      url: "https://example.org/new",
      description: "",
      eventTypes: null,
      channels: null,
      throttleRate: null,
      metadata: {},
    });

    const patch = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, {
      description: "Patched",
      eventTypes: [a],
    });
    expect(patch.status).toBe(200);
    expect(await json(patch)).toMatchObject({
      url: "https://example.org/new",
      description: "Patched",
      eventTypes: [a],
    });

    expect((await api("DELETE", `/api/v1/app/${app.id}/endpoint/main`)).status).toBe(204);
    expect((await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}`)).status).toBe(404);
  });

  it("upserts with PUT on an unknown uid", async () => {
    const app = await createApp();
    const res = await api("PUT", `/api/v1/app/${app.id}/endpoint/billing-hook`, { url: URL_OK });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ uid: "billing-hook", url: URL_OK });
    expect((await api("PUT", `/api/v1/app/${app.id}/endpoint/ep_unknown`, { url: URL_OK })).status).toBe(404);
  });

  it("returns 409 for a uid already used in the application, not in another", async () => {
    const app = await createApp();
    const other = await createApp();
    await createEndpoint(app.id, { url: URL_OK, uid: "dup" });
    const again = await api("POST", `/api/v1/app/${app.id}/endpoint`, { url: URL_OK, uid: "dup" });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: "conflict" });
    expect((await api("POST", `/api/v1/app/${other.id}/endpoint`, { url: URL_OK, uid: "dup" })).status).toBe(
      201,
    );

    const ep = await createEndpoint(app.id);
    const patch = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { uid: "dup" });
    expect(patch.status).toBe(409);
  });

  it("refuses destination URLs the guard rejects, with loc body.url", async () => {
    const app = await createApp();
    for (const url of [
      "http://example.com/hook",
      "https://localhost/hook",
      "https://127.0.0.1/hook",
      "https://2130706433/hook",
      "https://[::ffff:7f00:1]/hook",
      "https://169.254.169.254/latest",
      "https://user:pw@example.com/hook",
      "not a url",
    ]) {
      const res = await api("POST", `/api/v1/app/${app.id}/endpoint`, { url });
      const [issue] = await issues(res);
      expect(issue?.loc, url).toEqual(["body", "url"]);
      expect(issue?.msg).toMatch(/^Invalid endpoint URL: /);
    }
    const ep = await createEndpoint(app.id);
    const put = await api("PUT", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { url: "https://10.0.0.1/" });
    expect((await issues(put))[0]?.loc).toEqual(["body", "url"]);
    const patch = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, {
      url: "https://db.internal/",
    });
    expect((await issues(patch))[0]?.loc).toEqual(["body", "url"]);
    // Nothing changed.
    expect((await json<EndpointOut>(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}`))).url).toBe(
      URL_OK,
    );
  });

  it("refuses unknown or archived event types and other invalid fields", async () => {
    const app = await createApp();
    const known = await eventType();
    const archived = await eventType();
    await api("DELETE", `/api/v1/event-type/${archived}`);

    const unknown = await api("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: URL_OK,
      eventTypes: [known, "no.such.type", archived],
    });
    const [issue] = await issues(unknown);
    expect(issue).toMatchObject({ loc: ["body", "eventTypes"], type: "value_error" });
    expect(issue?.msg).toContain("no.such.type");
    expect(issue?.msg).toContain(archived);
    expect(issue?.msg).not.toContain(`${known},`);

    // Many unknown names: the answer names the first ten and counts the rest.
    const many = Array.from({ length: 1000 }, (_, i) => `missing.${"x".repeat(240)}.${i}`);
    const bounded = await api("POST", `/api/v1/app/${app.id}/endpoint`, { url: URL_OK, eventTypes: many });
    const text = await bounded.text();
    expect(bounded.status).toBe(422);
    expect(text).toContain("and 990 more");
    expect(text.length).toBeLessThan(5000);

    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{}, ["body", "url"]],
      [{ url: URL_OK, throttleRate: 0 }, ["body", "throttleRate"]],
      [{ url: URL_OK, eventTypes: [] }, ["body", "eventTypes"]],
      [{ url: URL_OK, channels: ["a", "a"] }, ["body", "channels"]],
      [{ url: URL_OK, channels: ["bad channel"] }, ["body", "channels", 0]],
      [{ url: URL_OK, uid: "no spaces" }, ["body", "uid"]],
      [{ url: URL_OK, secret: "tooshort" }, ["body", "secret"]],
      [{ url: URL_OK, metadata: { a: 1 } }, ["body", "metadata", "a"]],
    ];
    for (const [body, loc] of cases) {
      const res = await api("POST", `/api/v1/app/${app.id}/endpoint`, body);
      expect((await issues(res))[0]?.loc, JSON.stringify(body)).toEqual(loc);
    }
    const list = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/endpoint`));
    expect(list.data).toHaveLength(0);
  });

  it("answers 400 for malformed JSON and 401 without a valid token", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const bad = await api("POST", `/api/v1/app/${app.id}/endpoint`, "{not json");
    expect(bad.status).toBe(400);

    const base = `/api/v1/app/${app.id}/endpoint`;
    for (const [method, path] of [
      ["GET", base],
      ["POST", base],
      ["GET", `${base}/${ep.id}`],
      ["DELETE", `${base}/${ep.id}`],
      ["GET", `${base}/${ep.id}/secret`],
      ["GET", `${base}/${ep.id}/headers`],
    ] as const) {
      const res = await api(method, path, method === "POST" ? { url: URL_OK } : undefined, {
        token: "wrong",
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await json(res)).toMatchObject({ code: "authentication_failed" });
    }
    expect((await api("GET", `${base}/${ep.id}`)).status).toBe(200);
  });

  it("answers 404 for unknown applications and endpoints", async () => {
    const app = await createApp();
    expect((await api("GET", "/api/v1/app/app_missing/endpoint")).status).toBe(404);
    expect((await api("POST", "/api/v1/app/app_missing/endpoint", { url: URL_OK })).status).toBe(404);
    for (const [method, suffix, body] of [
      ["GET", "", undefined],
      ["PATCH", "", { description: "x" }],
      ["DELETE", "", undefined],
      ["GET", "/secret", undefined],
      ["POST", "/secret/rotate", {}],
      ["GET", "/headers", undefined],
      ["PUT", "/headers", { headers: {} }],
      ["PATCH", "/headers", { headers: {} }],
    ] as const) {
      const res = await api(method, `/api/v1/app/${app.id}/endpoint/ep_missing${suffix}`, body);
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(await json(res)).toMatchObject({ code: "not_found" });
    }
  });

  it("isolates tenants: an endpoint of app A is 404 under app B", async () => {
    const a = await createApp();
    const b = await createApp();
    const ep = await createEndpoint(a.id, { url: URL_OK, uid: "shared-uid", headers: { "X-Team": "a" } });
    for (const id of [ep.id, "shared-uid"]) {
      const path = `/api/v1/app/${b.id}/endpoint/${id}`;
      for (const [method, suffix, body] of [
        ["GET", "", undefined],
        ["PATCH", "", { description: "hijack" }],
        ["DELETE", "", undefined],
        ["GET", "/secret", undefined],
        ["POST", "/secret/rotate", {}],
        ["GET", "/headers", undefined],
        ["PUT", "/headers", { headers: { "X-Team": "b" } }],
        ["PATCH", "/headers", { headers: { "X-Team": "b" } }],
      ] as const) {
        const res = await api(method, `${path}${suffix}`, body);
        expect(res.status, `${method} ${id}${suffix}`).toBe(404);
      }
    }
    const list = await json<{ data: EndpointOut[] }>(await api("GET", `/api/v1/app/${b.id}/endpoint`));
    expect(list.data).toEqual([]);
    expect(
      (await api("PUT", `/api/v1/app/${b.id}/endpoint/${ep.id}`, { url: "https://example.net/" })).status,
    ).toBe(404);
    // PUT on an unknown uid creates an endpoint in B: B's own, not A's.
    const upsert = await api("PUT", `/api/v1/app/${b.id}/endpoint/shared-uid`, {
      url: "https://example.net/",
    });
    expect(upsert.status).toBe(201);
    expect((await json<EndpointOut>(upsert)).id).not.toBe(ep.id);
    // A's endpoint is untouched.
    expect(await json(await api("GET", `/api/v1/app/${a.id}/endpoint/${ep.id}`))).toMatchObject({
      url: URL_OK,
      description: "",
    });
    expect(await json(await api("GET", `/api/v1/app/${a.id}/endpoint/${ep.id}/headers`))).toEqual({
      headers: { "X-Team": "a" },
      sensitive: [],
    });
  });

  it("stores the secret encrypted and returns it with GET /secret", async () => {
    const app = await createApp();
    const generated = await createEndpoint(app.id);
    const key = (
      await json<{ key: string }>(await api("GET", `/api/v1/app/${app.id}/endpoint/${generated.id}/secret`))
    ).key;
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const supplied = await createEndpoint(app.id, {
      url: URL_OK,
      secret: SECRET,
      headers: { Authorization: "Bearer token-value-that-must-not-be-stored-in-clear" },
    });
    const got = await json<{ key: string }>(
      await api("GET", `/api/v1/app/${app.id}/endpoint/${supplied.id}/secret`),
    );
    expect(got.key).toBe(SECRET);

    for (const [ep, plaintext] of [
      [generated, key],
      [supplied, SECRET],
    ] as const) {
      const stored = await row(app.id, ep.id);
      if (!stored) throw new Error("row missing");
      const raw = JSON.stringify(stored);
      expect(raw).not.toContain("whsec_");
      expect(raw).not.toContain(plaintext.slice("whsec_".length));
      // A long marker: a 3-character one turns up in random base64 ciphertext now and then.
      expect(raw).not.toContain("token-value-that-must-not-be-stored-in-clear");
      const keys = await decryptJson<SigningKeys>(env, endpointField(ep.id, "secrets"), stored.secrets);
      expect(keys).toEqual({ current: plaintext, previous: [] });
    }

    // A secret given without the prefix is stored and returned with it.
    const bare = await createEndpoint(app.id, { url: URL_OK, secret: SECRET.slice("whsec_".length) });
    expect(
      (await json<{ key: string }>(await api("GET", `/api/v1/app/${app.id}/endpoint/${bare.id}/secret`))).key,
    ).toBe(SECRET);
  });

  it("rotates the secret, keeping the old one valid for 24 hours", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id, { url: URL_OK, secret: SECRET });
    const before = Date.now();
    const rotate = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, {});
    expect(rotate.status).toBe(204);

    const key = (
      await json<{ key: string }>(await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret`))
    ).key;
    expect(key).not.toBe(SECRET);
    expect(key).toMatch(/^whsec_/);
    const stored = await row(app.id, ep.id);
    const keys = await decryptJson<SigningKeys>(env, endpointField(ep.id, "secrets"), stored?.secrets ?? "");
    expect(keys.current).toBe(key);
    expect(keys.previous).toHaveLength(1);
    expect(keys.previous[0]?.key).toBe(SECRET);
    const expiresAt = keys.previous[0]?.expiresAt ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);

    // A caller-chosen key with no grace period: the previous key is not kept.
    const chosen = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0";
    const again = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, {
      key: chosen,
      gracePeriodSeconds: 0,
    });
    expect(again.status).toBe(204);
    const after = await decryptJson<SigningKeys>(
      env,
      endpointField(ep.id, "secrets"),
      (await row(app.id, ep.id))?.secrets ?? "",
    );
    expect(after.current).toBe(chosen);
    expect(after.previous.map((p) => p.key)).toEqual([SECRET]);

    const bad = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, { key: "short" });
    expect((await issues(bad))[0]?.loc).toEqual(["body", "key"]);
  });

  it("prunes expired previous keys on rotation", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id, { url: URL_OK, secret: SECRET });
    const expired = { key: "whsec_ZXhwaXJlZGV4cGlyZWRleHBpcmVkZXhwaXJlZA==", expiresAt: Date.now() - 1000 };
    await env.DB.prepare("UPDATE endpoints SET secrets = ?3 WHERE app_id = ?1 AND id = ?2")
      .bind(
        app.id,
        ep.id,
        await encryptJson(env, endpointField(ep.id, "secrets"), { current: SECRET, previous: [expired] }),
      )
      .run();
    // No body at all is accepted too: every field of EndpointSecretRotateIn is optional.
    expect((await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`)).status).toBe(204);
    const keys = await decryptJson<SigningKeys>(
      env,
      endpointField(ep.id, "secrets"),
      (await row(app.id, ep.id))?.secrets ?? "",
    );
    expect(keys.previous.map((p) => p.key)).toEqual([SECRET]);
  });

  it("gets, replaces and patches headers, hiding sensitive values", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/headers`;
    expect(await json(await api("GET", base))).toEqual({ headers: {}, sensitive: [] });

    const put = await api("PUT", base, {
      headers: { "X-Example": "123", Authorization: "Bearer s3cret", Cookie: "a=b" },
    });
    expect(put.status).toBe(204);
    const got = await json<{ headers: Record<string, string>; sensitive: string[] }>(await api("GET", base));
    expect(got.headers).toEqual({ "X-Example": "123" });
    expect(got.sensitive.sort()).toEqual(["Authorization", "Cookie"]);
    expect(JSON.stringify(await row(app.id, ep.id))).not.toContain("s3cret");

    const patch = await api("PATCH", base, {
      headers: { "x-example": "456", Cookie: null, "X-Api-Key": "k" },
    });
    expect(patch.status).toBe(204);
    const patched = await json<{ headers: Record<string, string>; sensitive: string[] }>(
      await api("GET", base),
    );
    expect(patched.headers).toEqual({ "x-example": "456" });
    expect(patched.sensitive.sort()).toEqual(["Authorization", "X-Api-Key"]);

    expect((await api("PUT", base, { headers: {} })).status).toBe(204);
    expect(await json(await api("GET", base))).toEqual({ headers: {}, sensitive: [] });
    expect((await row(app.id, ep.id))?.headers).toBeNull();
  });

  it("refuses reserved and malformed headers with 422 and changes nothing", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    const base = `/api/v1/app/${app.id}/endpoint/${ep.id}/headers`;
    await api("PUT", base, { headers: { "X-Keep": "1" } });
    for (const name of [
      "Host",
      "content-length",
      "Webhook-Signature",
      "svix-id",
      "User-Agent",
      "Transfer-Encoding",
      "bad name",
    ]) {
      for (const method of ["PUT", "PATCH"]) {
        const res = await api(method, base, { headers: { [name]: "x" } });
        const [issue] = await issues(res);
        expect(issue?.loc, `${method} ${name}`).toEqual(["body", "headers", name]);
      }
    }
    const crlf = await api("PUT", base, { headers: { "X-Injected": "a\r\nHost: evil" } });
    expect((await issues(crlf))[0]?.msg).toMatch(/invalid value/);
    const onCreate = await api("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: URL_OK,
      headers: { "svix-signature": "x" },
    });
    expect((await issues(onCreate))[0]?.loc).toEqual(["body", "headers", "svix-signature"]);
    expect(await json(await api("GET", base))).toEqual({ headers: { "X-Keep": "1" }, sensitive: [] });
  });

  it("re-enabling an endpoint resets its health", async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id);
    await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { disabled: true });
    // As the delivery path leaves an endpoint it disabled for failing.
    await env.DB.prepare(
      "UPDATE endpoints SET failing_since = ?3, disabled_reason = 'failing for 5 days' WHERE app_id = ?1 AND id = ?2",
    )
      .bind(app.id, ep.id, Date.now() - 1000)
      .run();

    const stub = env.ENDPOINT_STATE.get(env.ENDPOINT_STATE.idFromName(ep.id));
    await stub.report({ successes: 0, failures: 1, gone: false }, Date.now() - 1000, 86_400_000);
    expect((await stub.health()).failingSince).not.toBeNull();

    // A change that leaves it disabled keeps the record.
    await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { description: "still off" });
    expect((await row(app.id, ep.id))?.failing_since).not.toBeNull();

    const res = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { disabled: false });
    expect((await json<EndpointOut>(res)).disabled).toBe(false);
    const stored = await row(app.id, ep.id);
    expect(stored).toMatchObject({ disabled: 0, failing_since: null, disabled_reason: null });
    // The Durable Object forgot the failure streak too.
    expect((await stub.health()).failingSince).toBeNull();

    await env.DB.prepare(
      "UPDATE endpoints SET disabled = 1, failing_since = 5, disabled_reason = 'x' WHERE id = ?1",
    )
      .bind(ep.id)
      .run();
    await api("PUT", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { url: URL_OK });
    expect(await row(app.id, ep.id)).toMatchObject({
      disabled: 0,
      failing_since: null,
      disabled_reason: null,
    });
  });

  it("deletes the endpoint's attempts with it, and only its own", async () => {
    const send = spySendBatch();
    try {
      const app = await createApp();
      const ep = await createEndpoint(app.id, { url: `${URL_OK}/deleted` });
      const keep = await createEndpoint(app.id, { url: `${URL_OK}/kept` });
      const messages = [await createMessage(app.id), await createMessage(app.id)];
      await drained(app.id);
      const refs = sentDeliveries(send)
        .filter((d) => d.appId === app.id)
        .map(({ m, e, p, n, t }) => ({ m, e, p, n, t }));
      expect(refs).toHaveLength(4);
      // The deleted endpoint's deliveries fail and wait for a retry.
      mockReceiver((req) => new Response("", { status: req.url.endsWith("/kept") ? 200 : 500 }));
      await runDeliveries([pack(app.id, refs)]);
      await drained(app.id);
      const endpointsOf = async () =>
        (await Promise.all(messages.map((m) => attemptRows(app.id, m.id)))).flat().map((a) => a.endpoint_id);
      expect((await endpointsOf()).sort()).toEqual([ep.id, ep.id, keep.id, keep.id].sort());

      expect((await api("DELETE", `/api/v1/app/${app.id}/endpoint/${ep.id}`)).status).toBe(204);
      // The log object deletes them from its alarm, in bounded steps: run its pass now.
      await inLog(app.id, (log) => log.tick(Date.now()));
      expect(await endpointsOf()).toEqual([keep.id, keep.id]);
      const kept = await json<{ data: unknown[] }>(
        await api("GET", `/api/v1/app/${app.id}/attempt/endpoint/${keep.id}`),
      );
      expect(kept.data).toHaveLength(2);
      const destinations = await json<{ data: { id: string }[] }>(
        await api("GET", `/api/v1/app/${app.id}/msg/${messages[0]?.id}/endpoint`),
      );
      expect(destinations.data.map((d) => d.id)).toEqual([keep.id]);
      // Nor are its deliveries retried once their time comes.
      send.mockClear();
      await inLog(app.id, (log) => log.tick(Date.now() + 3_600_000));
      expect(sentDeliveries(send).filter((d) => d.appId === app.id && d.e === ep.id)).toEqual([]);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
