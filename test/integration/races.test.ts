import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { disableEndpoint } from "../../src/db/delivery-writes";
import type { EndpointRow } from "../../src/db/endpoints";
import { encryptJson, endpointField } from "../../src/security/secrets";
import { api, createApp, json } from "../helpers";
import { mockReceiver, runDeliveries, spySendBatch, takeQueued } from "./consumer-helpers";
import { createMessage, postMessage, RECEIVER, SECRET } from "./delivery-fixtures";

// Concurrent writes to one row, and the create-on-first-use application race. Each race runs
// many rounds in parallel; where one interleaving matters, a write is injected between a
// request's read and its write instead of hoping for it.

const ROUNDS = 20;

afterEach(() => {
  vi.restoreAllMocks();
});

/** A distinct valid signing secret per round (base64 of 32 bytes). */
const secretOf = (i: number) => `whsec_${btoa(String(i).padStart(32, "k"))}`;

async function endpoint(appId: string, body: Record<string, unknown>) {
  const res = await api("POST", `/api/v1/app/${appId}/endpoint`, { url: RECEIVER, secret: SECRET, ...body });
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${await res.text()}`);
  return json<{ id: string }>(res);
}

const row = (appId: string, id: string) =>
  env.DB.prepare("SELECT * FROM endpoints WHERE app_id = ?1 AND id = ?2")
    .bind(appId, id)
    .first<EndpointRow>();

/**
 * Runs `inject` right before each of the first `times` `UPDATE endpoints` statements the worker
 * executes: after the request read the row, before it writes. Injected writes go through untouched.
 */
function beforeEndpointWrites(inject: () => Promise<unknown>, times = 1, sql = /^\s*UPDATE endpoints SET/) {
  const prepare = env.DB.prepare.bind(env.DB);
  let left = times;
  let injecting = false;
  const delayed = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => delayed(value.apply(target, args));
        if (prop !== "run" && prop !== "first" && prop !== "all" && prop !== "raw") return value.bind(target);
        return async (...args: unknown[]) => {
          if (left > 0 && !injecting) {
            left--;
            injecting = true;
            await inject().finally(() => {
              injecting = false;
            });
          }
          return value.apply(target, args);
        };
      },
    });
  return vi
    .spyOn(env.DB, "prepare")
    .mockImplementation((text: string) =>
      left > 0 && !injecting && sql.test(text) ? delayed(prepare(text)) : prepare(text),
    );
}

describe("concurrent application writes", () => {
  it("a PATCH writes only the fields it names: a change made between its read and its write stays", async () => {
    const app = await createApp();
    await api("PATCH", `/api/v1/app/${app.id}`, { metadata: { plan: "free" } });
    beforeEndpointWrites(
      () =>
        env.DB.prepare("UPDATE applications SET metadata = ?2 WHERE id = ?1")
          .bind(app.id, JSON.stringify({ plan: "pro" }))
          .run(),
      1,
      /^\s*UPDATE applications SET/,
    );
    const res = await api("PATCH", `/api/v1/app/${app.id}`, { name: "renamed" });
    vi.restoreAllMocks();
    expect(res.status).toBe(200);
    // The answer is the row as committed, not the request's stale copy.
    expect(await json(res)).toMatchObject({ name: "renamed", metadata: { plan: "pro" } });
    const stored = await env.DB.prepare("SELECT name, metadata FROM applications WHERE id = ?1")
      .bind(app.id)
      .first<{ name: string; metadata: string }>();
    expect(stored).toEqual({ name: "renamed", metadata: JSON.stringify({ plan: "pro" }) });
  });

  it("parallel PATCHes of different fields keep every field", async () => {
    const apps = await Promise.all(Array.from({ length: ROUNDS }, () => createApp()));
    await Promise.all(
      apps.flatMap((a, i) => [
        api("PATCH", `/api/v1/app/${a.id}`, { name: `name-${i}` }),
        api("PATCH", `/api/v1/app/${a.id}`, { metadata: { round: String(i) } }),
        api("PATCH", `/api/v1/app/${a.id}`, { throttleRate: 10 + i }),
      ]),
    );
    for (const [i, a] of apps.entries()) {
      const got = await json(await api("GET", `/api/v1/app/${a.id}`));
      expect(got).toMatchObject({ name: `name-${i}`, metadata: { round: String(i) }, throttleRate: 10 + i });
    }
  });
});

describe("concurrent endpoint writes", () => {
  it("a PATCH racing secret/rotate never puts the old secret back (20 rounds in parallel)", async () => {
    const send = spySendBatch();
    const app = await createApp();
    const eps = await Promise.all(
      Array.from({ length: ROUNDS }, (_, i) => endpoint(app.id, { url: `${RECEIVER}/${i}` })),
    );
    await Promise.all(
      eps.map((ep, i) => {
        const base = `/api/v1/app/${app.id}/endpoint/${ep.id}`;
        const rotate = () => api("POST", `${base}/secret/rotate`, { key: secretOf(i) });
        const patch = () => api("PATCH", base, { description: `round ${i}` });
        // Vary which request starts first, so that reads and writes interleave differently.
        const [a, b] = i % 2 ? [rotate, patch] : [patch, rotate];
        return Promise.all([a(), b()]).then((answers) => {
          for (const res of answers) expect(res.status).toBeLessThan(300);
        });
      }),
    );
    const read = (ep: { id: string }, path: string) =>
      api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}${path}`).then((r) => json(r));
    const keys = await Promise.all(eps.map((ep) => read(ep, "/secret").then((s) => s.key)));
    expect(keys).toEqual(eps.map((_, i) => secretOf(i)));
    const descriptions = await Promise.all(eps.map((ep) => read(ep, "").then((e) => e.description)));
    expect(descriptions).toEqual(eps.map((_, i) => `round ${i}`));

    // A delivery to each endpoint is signed with its rotated key.
    const msg = await createMessage(app.id, { payload: { raced: true } });
    const receiver = mockReceiver(() => new Response("ok"));
    const queued = await takeQueued(send, app.id);
    expect(queued).toHaveLength(ROUNDS);
    await runDeliveries([
      {
        kind: "deliveries",
        appId: app.id,
        shard: 0,
        refs: queued.map(({ m, e, p, n, t }) => ({ m, e, p, n, t })),
      },
    ]);
    expect(receiver.requests).toHaveLength(ROUNDS);
    for (const req of receiver.requests) {
      const i = Number(new URL(req.url).pathname.split("/").pop());
      const headers = Object.fromEntries(req.headers);
      expect(headers["webhook-id"]).toBe(msg.id);
      expect(new Webhook(secretOf(i)).verify(await req.text(), headers)).toEqual({ raced: true });
    }
  });

  it("a headers update racing a PATCH keeps both (20 rounds in parallel)", async () => {
    const app = await createApp();
    const eps = await Promise.all(Array.from({ length: ROUNDS }, () => endpoint(app.id, {})));
    await Promise.all(
      eps.map((ep, i) => {
        const base = `/api/v1/app/${app.id}/endpoint/${ep.id}`;
        const headers = () => api("PUT", `${base}/headers`, { headers: { "X-Round": String(i) } });
        const patch = () => api("PATCH", base, { description: `round ${i}` });
        const [a, b] = i % 2 ? [headers, patch] : [patch, headers];
        return Promise.all([a(), b()]);
      }),
    );
    for (const [i, ep] of eps.entries()) {
      const base = `/api/v1/app/${app.id}/endpoint/${ep.id}`;
      expect(await json(await api("GET", `${base}/headers`)), `round ${i}`).toEqual({
        headers: { "X-Round": String(i) },
        sensitive: [],
      });
      expect((await json<{ description: string }>(await api("GET", base))).description).toBe(`round ${i}`);
    }
  });

  it("two header PATCHes racing each other keep both headers", async () => {
    const app = await createApp();
    const eps = await Promise.all(Array.from({ length: ROUNDS }, () => endpoint(app.id, {})));
    await Promise.all(
      eps.map((ep) => {
        const path = `/api/v1/app/${app.id}/endpoint/${ep.id}/headers`;
        return Promise.all([
          api("PATCH", path, { headers: { "X-One": "1" } }),
          api("PATCH", path, { headers: { "X-Two": "2" } }),
        ]);
      }),
    );
    for (const ep of eps) {
      const { headers } = await json<{ headers: Record<string, string> }>(
        await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/headers`),
      );
      expect(headers).toEqual({ "X-One": "1", "X-Two": "2" });
    }
  });

  it("a PATCH that does not name `disabled` leaves an endpoint the delivery path disabled meanwhile", async () => {
    const app = await createApp();
    const ep = await endpoint(app.id, {});
    const failingSince = Date.now() - 5 * 86_400_000;
    beforeEndpointWrites(() =>
      disableEndpoint(env.DB, app.id, ep.id, "failing for 5 days", failingSince, Date.now()).run(),
    );
    const res = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { description: "renamed" });
    expect(res.status).toBe(200);
    expect(await row(app.id, ep.id)).toMatchObject({
      description: "renamed",
      disabled: 1,
      disabled_reason: "failing for 5 days",
      failing_since: failingSince,
    });
    // The answer is the row as committed, not the request's stale copy.
    expect((await json<{ disabled: boolean }>(res)).disabled).toBe(true);
  });

  it("a PATCH enabling an endpoint that was disabled meanwhile resets its health", async () => {
    const app = await createApp();
    const ep = await endpoint(app.id, {});
    const stub = env.ENDPOINT_STATE.get(env.ENDPOINT_STATE.idFromName(ep.id));
    const failingSince = Date.now() - 1000;
    await stub.report({ successes: 0, failures: 1, gone: false }, failingSince, 86_400_000);
    beforeEndpointWrites(() =>
      disableEndpoint(env.DB, app.id, ep.id, "failing", failingSince, Date.now()).run(),
    );
    const res = await api("PATCH", `/api/v1/app/${app.id}/endpoint/${ep.id}`, { disabled: false });
    expect(res.status).toBe(200);
    expect(await row(app.id, ep.id)).toMatchObject({
      disabled: 0,
      disabled_reason: null,
      failing_since: null,
    });
    expect((await stub.health()).failingSince).toBeNull();
  });

  it("a secret rotation that keeps losing its compare-and-set answers 409 and changes nothing", async () => {
    const app = await createApp();
    const ep = await endpoint(app.id, {});
    // Another rotation lands between each of its reads and its write.
    let n = 100;
    beforeEndpointWrites(async () => {
      const keys = { current: secretOf(++n), previous: [] };
      await env.DB.prepare("UPDATE endpoints SET secrets = ?3 WHERE app_id = ?1 AND id = ?2")
        .bind(app.id, ep.id, await encryptJson(env, endpointField(ep.id, "secrets"), keys))
        .run();
    }, 1000);
    const res = await api("POST", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, {
      key: secretOf(1),
    });
    vi.restoreAllMocks();
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ code: "conflict" });
    const secret = await json<{ key: string }>(
      await api("GET", `/api/v1/app/${app.id}/endpoint/${ep.id}/secret`),
    );
    // The last concurrent rotation stands.
    expect(secret.key).toBe(secretOf(n));
  });
});

describe("create-on-first-use application", () => {
  it("two parallel messages with `application` for a new uid both land in one application", async () => {
    const send = spySendBatch();
    for (let round = 0; round < ROUNDS; round++) {
      const uid = `newco-${Date.now()}-${round}`;
      const answers = await Promise.all(
        [1, 2].map((n) => postMessage(uid, { application: { name: `Newco ${n}` }, payload: { n } })),
      );
      expect(answers.map((r) => r.status)).toEqual([202, 202]);
      const app = await json<{ id: string; uid: string }>(await api("GET", `/api/v1/app/${uid}`));
      expect(app.uid).toBe(uid);
      const msgs = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/msg`));
      expect(msgs.data).toHaveLength(2);
    }
    send.mockRestore();
  });

  it("two parallel creates with get_if_exists answer the same application", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const uid = `twin-${Date.now()}-${round}`;
      const answers = await Promise.all(
        [1, 2].map((n) => api("POST", "/api/v1/app?get_if_exists=true", { name: `Twin ${n}`, uid })),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([200, 201]);
      const [a, b] = await Promise.all(answers.map((r) => json<{ id: string }>(r)));
      expect(a?.id).toBe(b?.id);
    }
  });

  it("an app_ id that does not exist is a 404, or the body's uid: never a new random application", async () => {
    const send = spySendBatch();
    const name = `Ghost ${Date.now()}`;
    const countNamed = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM applications WHERE name = ?1")
          .bind(name)
          .first<{ n: number }>()
      )?.n;
    const ghost = "app_2doesnotexist0000000000";
    const missing = await postMessage(ghost, { application: { name } });
    expect(missing.status).toBe(404);
    expect(await countNamed()).toBe(0);

    const uid = `ghost-${Date.now()}`;
    for (const n of [1, 2]) {
      const res = await postMessage(ghost, { application: { name, uid }, payload: { n } });
      expect(res.status).toBe(202);
    }
    expect(await countNamed()).toBe(1);
    const app = await json<{ id: string; uid: string }>(await api("GET", `/api/v1/app/${uid}`));
    const msgs = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/msg`));
    expect(msgs.data).toHaveLength(2);
    send.mockRestore();
  });

  it("a path uid with another uid in the body is a 422 and creates nothing", async () => {
    const [pathUid, bodyUid] = [`path-${Date.now()}`, `body-${Date.now()}`];
    const res = await postMessage(pathUid, { application: { name: "Two names", uid: bodyUid } });
    expect(res.status).toBe(422);
    expect((await json<{ detail: { loc: unknown[] }[] }>(res)).detail[0]?.loc).toEqual([
      "body",
      "application",
      "uid",
    ]);
    for (const uid of [pathUid, bodyUid]) expect((await api("GET", `/api/v1/app/${uid}`)).status).toBe(404);
    // The same uid in both places is fine.
    const same = await postMessage(pathUid, { application: { name: "One name", uid: pathUid } });
    expect(same.status).toBe(202);
  });
});

describe("a uid is never shaped like an id", () => {
  type Issue = { loc: (string | number)[] };
  async function refused(res: Response, loc: (string | number)[]) {
    expect(res.status, JSON.stringify(loc)).toBe(422);
    expect((await json<{ detail: Issue[] }>(res)).detail.map((i) => i.loc)).toEqual([loc]);
  }

  it("PATCH /app/B with A's id as uid is refused, and a keyed message to A's id reaches only A", async () => {
    const send = spySendBatch();
    const [a, b] = [await createApp({ name: "A" }), await createApp({ name: "B", uid: `b-${Date.now()}` })];
    await refused(await api("PATCH", `/api/v1/app/${b.id}`, { uid: a.id }), ["body", "uid"]);
    expect(await json(await api("GET", `/api/v1/app/${b.id}`))).toMatchObject({ uid: b.uid });

    const res = await postMessage(a.id, {}, { "idempotency-key": `k-${Date.now()}` });
    expect(res.status).toBe(202);
    const count = async (appId: string) =>
      (await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${appId}/msg`))).data.length;
    expect([await count(a.id), await count(b.id)]).toEqual([1, 0]);
    send.mockRestore();
  });

  it("refuses app_ uids on application create, PUT, PUT-upsert and PATCH", async () => {
    const app = await createApp({ name: "Shape" });
    const uid = "app_2shapedlikeanid000000000";
    await refused(await api("POST", "/api/v1/app", { name: "X", uid }), ["body", "uid"]);
    await refused(await api("POST", "/api/v1/app?get_if_exists=true", { name: "X", uid }), ["body", "uid"]);
    await refused(await api("PUT", `/api/v1/app/${app.id}`, { name: "X", uid }), ["body", "uid"]);
    await refused(await api("PUT", `/api/v1/app/fresh-${Date.now()}`, { name: "X", uid }), ["body", "uid"]);
    await refused(await api("PATCH", `/api/v1/app/${app.id}`, { uid }), ["body", "uid"]);
    expect(await json(await api("GET", `/api/v1/app/${app.id}`))).toMatchObject({ name: "Shape", uid: null });
    expect((await api("GET", `/api/v1/app/${uid}`)).status).toBe(404);
  });

  it("refuses ep_ uids on endpoint create, PUT, PUT-upsert and PATCH", async () => {
    const app = await createApp();
    const ep = await endpoint(app.id, { uid: "kept" });
    const base = `/api/v1/app/${app.id}/endpoint`;
    const uid = "ep_2shapedlikeanid000000000";
    await refused(await api("POST", base, { url: RECEIVER, uid }), ["body", "uid"]);
    await refused(await api("PUT", `${base}/${ep.id}`, { url: RECEIVER, uid }), ["body", "uid"]);
    await refused(await api("PUT", `${base}/fresh`, { url: RECEIVER, uid }), ["body", "uid"]);
    await refused(await api("PATCH", `${base}/${ep.id}`, { uid }), ["body", "uid"]);
    expect((await row(app.id, ep.id))?.uid).toBe("kept");
    // Ids of other kinds too: an application's id is no endpoint uid, by body or by PUT's path.
    await refused(await api("PATCH", `${base}/${ep.id}`, { uid: app.id }), ["body", "uid"]);
    await refused(await api("PUT", `${base}/${app.id}`, { url: RECEIVER }), ["body", "uid"]);
    const list = await json<{ data: unknown[] }>(await api("GET", base));
    expect(list.data).toHaveLength(1);
  });

  it("refuses msg_ eventIds and app_ uids in MessageIn.application", async () => {
    const send = spySendBatch();
    const app = await createApp();
    await refused(await postMessage(app.id, { eventId: "msg_2shapedlikeanid00000000" }), ["body", "eventId"]);
    const uid = `fresh-${Date.now()}`;
    await refused(
      await postMessage(uid, { application: { name: "X", uid: "app_2shapedlikeanid000000000" } }),
      ["body", "application", "uid"],
    );
    expect((await api("GET", `/api/v1/app/${uid}`)).status).toBe(404);
    const msgs = await json<{ data: unknown[] }>(await api("GET", `/api/v1/app/${app.id}/msg`));
    expect(msgs.data).toHaveLength(0);
    send.mockRestore();
  });
});
