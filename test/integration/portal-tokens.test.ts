import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { api, createApp, json } from "../helpers";
import { drained, mockReceiver, pack, runDeliveries, sentDeliveries, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createEventType, createMessage, RECEIVER } from "./delivery-fixtures";
import {
  asPortal,
  countRows,
  dumpD1,
  expireInD1,
  PORTAL_TOKEN,
  portalAccess,
  sha256Hex,
  tokenRow,
} from "./portal-fixtures";

type Page<T> = { data: T[]; iterator: string | null; done: boolean };

afterEach(() => {
  vi.restoreAllMocks();
});

const uid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** An application with one delivered message (one attempt, status 200) to one endpoint. */
async function delivered() {
  const send = spySendBatch();
  const app = await createApp({ name: "portal app", uid: uid("portal") });
  const ep = await createEndpoint(app.id);
  const msg = await createMessage(app.id);
  await drained(app.id);
  const refs = sentDeliveries(send)
    .filter((d) => d.appId === app.id)
    .map(({ m, e, p, n, t }) => ({ m, e, p, n, t }));
  mockReceiver(() => new Response("ok", { status: 200 }));
  await runDeliveries([pack(app.id, refs)]);
  await drained(app.id);
  vi.restoreAllMocks();
  return { app, ep, msg };
}

describe("app-portal-access", () => {
  it("answers a url with the app id and an appsk_ token, stored only as its SHA-256", async () => {
    const app = await createApp({ name: "issue", uid: uid("issue") });
    const before = Date.now();
    const { url, token } = await portalAccess(app.id);
    expect(token).toMatch(PORTAL_TOKEN);
    // The fragment names the token's capabilities, so the page can hide what it cannot use.
    const all =
      "ViewBase,ViewEndpointSecret,ManageEndpointSecret,ManageTransformations,CreateAttempts,ManageEndpoint";
    expect(url).toBe(`https://edgehook.test/portal#app=${app.id}&token=${token}&capabilities=${all}`);
    // The uid in the path still puts the internal id in the url.
    const byUid = await portalAccess(app.uid ?? "");
    expect(byUid.url).toContain(`#app=${app.id}&token=`);
    expect(byUid.token).not.toBe(token);

    const row = await tokenRow(token);
    expect(row).toMatchObject({ hash: await sha256Hex(token), app_id: app.id, session_id: null });
    expect(JSON.parse(row?.capabilities ?? "")).toEqual([
      "ViewBase",
      "ViewEndpointSecret",
      "ManageEndpointSecret",
      "ManageTransformations",
      "CreateAttempts",
      "ManageEndpoint",
    ]);
    // Default expiry: 7 days.
    const week = 7 * 24 * 3600 * 1000;
    expect(row?.expires_at).toBeGreaterThanOrEqual(before + week);
    expect(row?.expires_at).toBeLessThanOrEqual(Date.now() + week);
  });

  it("keeps no token in clear anywhere in D1, also when the caller sends idempotency keys", async () => {
    const app = await createApp({ name: "clear" });
    const res = await api(
      "POST",
      `/api/v1/auth/app-portal-access/${app.id}`,
      {},
      {
        headers: { "idempotency-key": "mint-1" },
      },
    );
    const { token } = await json<{ token: string }>(res);
    const created = await asPortal(
      token,
      "POST",
      `/api/v1/app/${app.id}/endpoint`,
      { url: RECEIVER },
      {
        "idempotency-key": "portal-ep-1",
      },
    );
    expect(created.status).toBe(201);
    // A repeat with the key mints another token: a replay would need the first one stored.
    const again = await api(
      "POST",
      `/api/v1/auth/app-portal-access/${app.id}`,
      {},
      {
        headers: { "idempotency-key": "mint-1" },
      },
    );
    const second = (await json<{ token: string }>(again)).token;
    expect(second).not.toBe(token);
    const dump = await dumpD1();
    expect(dump).toContain(await sha256Hex(token));
    for (const t of [token, second]) {
      expect(dump).not.toContain(t);
      expect(dump).not.toContain(t.slice("appsk_".length));
    }
  });

  it("honours expiry, readOnly, capabilities, featureFlags and sessionId", async () => {
    const app = await createApp({ name: "options" });
    const before = Date.now();
    const { token, url } = await portalAccess(app.id, {
      expiry: 3600,
      readOnly: true,
      featureFlags: ["beta"],
      sessionId: "sess-1",
    });
    const row = await tokenRow(token);
    expect(row?.expires_at).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(row?.expires_at).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(JSON.parse(row?.capabilities ?? "")).toEqual(["ViewBase"]);
    expect(JSON.parse(row?.feature_flags ?? "")).toEqual(["beta"]);
    expect(row?.session_id).toBe("sess-1");
    const some = await portalAccess(app.id, { capabilities: ["ViewBase", "CreateAttempts"] });
    expect(JSON.parse((await tokenRow(some.token))?.capabilities ?? "")).toEqual([
      "ViewBase",
      "CreateAttempts",
    ]);
    // The page's url says what each token may do.
    expect(url).toMatch(/&capabilities=ViewBase$/);
    expect(some.url).toMatch(/&capabilities=ViewBase,CreateAttempts$/);
  });

  it("creates the application from `application` once, however often it is asked", async () => {
    const appUid = uid("created");
    const first = await portalAccess(appUid, { application: { name: "Created by portal access" } });
    const second = await portalAccess(appUid, { application: { name: "Another name, ignored" } });
    const app = await json<{ id: string; uid: string; name: string }>(
      await api("GET", `/api/v1/app/${appUid}`),
    );
    expect(app).toMatchObject({ uid: appUid, name: "Created by portal access" });
    expect(first.url).toContain(`#app=${app.id}&`);
    expect(second.url).toContain(`#app=${app.id}&`);
    const matching = await env.DB.prepare("SELECT COUNT(*) AS n FROM applications WHERE uid = ?1")
      .bind(appUid)
      .first<{ n: number }>();
    expect(matching?.n).toBe(1);
    // Without `application`, an unknown app is a 404 and nothing is written.
    const tokens = await countRows("portal_tokens");
    expect((await api("POST", `/api/v1/auth/app-portal-access/${uid("nobody")}`, {})).status).toBe(404);
    expect(
      (await api("POST", "/api/v1/auth/app-portal-access/app_2unknownunknown0000000000", {})).status,
    ).toBe(404);
    expect(await countRows("portal_tokens")).toBe(tokens);
  });

  it("answers 422 to bad bodies and writes nothing", async () => {
    const appUid = uid("bad");
    const application = { name: "never created" };
    const bad: Record<string, unknown>[] = [
      { application, expiry: 10 },
      { application, expiry: 604_801 },
      { application, expiry: 3600.5 },
      { application, capabilities: ["Nope"] },
      { application, capabilities: ["ManageEndpoint"] },
      { application, capabilities: [] },
      { application, featureFlags: ["bad flag"] },
      { application, featureFlags: ["a", "a"] },
      { application, sessionId: "" },
      { application, readOnly: "yes" },
      { application: { name: "x", uid: "another-uid" } },
      { application: { name: "" } },
    ];
    const [apps, tokens] = [await countRows("applications"), await countRows("portal_tokens")];
    for (const body of bad) {
      const res = await api("POST", `/api/v1/auth/app-portal-access/${appUid}`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json<{ detail: unknown[] }>(res)).detail.length).toBeGreaterThan(0);
    }
    expect((await api("POST", `/api/v1/auth/app-portal-access/${appUid}`, "{not json")).status).toBe(400);
    expect([await countRows("applications"), await countRows("portal_tokens")]).toEqual([apps, tokens]);
  });
});

describe("a portal token with svix-react's calls", () => {
  it("lists endpoints, creates one with filterTypes [], reads its secret, messages, attempts and event types", async () => {
    const { app, ep, msg } = await delivered();
    const eventType = await createEventType();
    const { token } = await portalAccess(app.id);
    const base = `/api/v1/app/${app.id}`;

    const list = await asPortal(token, "GET", `${base}/endpoint`);
    expect(list.status).toBe(200);
    expect((await json<Page<{ id: string }>>(list)).data.map((e) => e.id)).toEqual([ep.id]);

    const created = await asPortal(token, "POST", `${base}/endpoint`, {
      url: `${RECEIVER}/portal`,
      description: "from the portal",
      filterTypes: [],
    });
    expect(created.status).toBe(201);
    const newEp = await json<{ id: string; eventTypes: string[] | null }>(created);
    expect(newEp.eventTypes).toBeNull();

    const secret = await asPortal(token, "GET", `${base}/endpoint/${newEp.id}/secret`);
    expect(secret.status).toBe(200);
    expect((await json<{ key: string }>(secret)).key).toMatch(/^whsec_/);

    const messages = await asPortal(token, "GET", `${base}/msg`);
    expect(messages.status).toBe(200);
    expect((await json<Page<{ id: string }>>(messages)).data.map((m) => m.id)).toEqual([msg.id]);

    const byMsg = await asPortal(token, "GET", `${base}/attempt/msg/${msg.id}`);
    expect(byMsg.status).toBe(200);
    expect((await json<Page<{ endpointId: string; responseStatusCode: number }>>(byMsg)).data).toMatchObject([
      { endpointId: ep.id, responseStatusCode: 200 },
    ]);
    const byEndpoint = await asPortal(token, "GET", `${base}/attempt/endpoint/${ep.id}`);
    expect(byEndpoint.status).toBe(200);
    expect((await json<Page<{ msgId: string }>>(byEndpoint)).data).toMatchObject([{ msgId: msg.id }]);

    for (const path of [
      base,
      `${base}/endpoint/${ep.id}`,
      `${base}/endpoint/${ep.id}/stats`,
      `${base}/endpoint/${ep.id}/headers`,
      `${base}/endpoint/${ep.id}/msg`,
      `${base}/msg/${msg.id}`,
      `${base}/msg/${msg.id}/endpoint`,
      `/api/v1/event-type/${eventType}`,
    ]) {
      expect((await asPortal(token, "GET", path)).status, path).toBe(200);
    }
    const types = await asPortal(token, "GET", "/api/v1/event-type?limit=250&with_content=true");
    expect(types.status).toBe(200);
  });
});

describe("ending a token", () => {
  it("refuses an expired token with 401, and the cron deletes it", async () => {
    const app = await createApp({ name: "expiry" });
    const { token } = await portalAccess(app.id);
    expect((await asPortal(token, "GET", `/api/v1/app/${app.id}/endpoint`)).status).toBe(200);
    await expireInD1(token);
    const res = await asPortal(token, "GET", `/api/v1/app/${app.id}/endpoint`);
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ code: "authentication_failed" });
    const live = await portalAccess(app.id);
    await worker.scheduled(createScheduledController(), env, createExecutionContext());
    expect(await tokenRow(token)).toBeNull();
    expect(await tokenRow(live.token)).not.toBeNull();
  });

  it("logs a token out (204, then 401) and refuses logout with the admin token", async () => {
    const app = await createApp({ name: "logout" });
    const { token } = await portalAccess(app.id);
    const other = await portalAccess(app.id);
    expect((await asPortal(token, "POST", "/api/v1/auth/logout")).status).toBe(204);
    expect((await asPortal(token, "GET", `/api/v1/app/${app.id}/endpoint`)).status).toBe(401);
    expect((await asPortal(token, "POST", "/api/v1/auth/logout")).status).toBe(401);
    expect(await tokenRow(token)).toBeNull();
    // The application's other token is untouched.
    expect((await asPortal(other.token, "GET", `/api/v1/app/${app.id}/endpoint`)).status).toBe(200);
    const admin = await api("POST", "/api/v1/auth/logout");
    expect(admin.status).toBe(403);
    expect(await json(admin)).toMatchObject({ code: "forbidden" });
  });

  it("expires every token of the application, and only of it", async () => {
    const [a, b] = [await createApp({ name: "expire a" }), await createApp({ name: "expire b" })];
    const [a1, a2, b1] = [await portalAccess(a.id), await portalAccess(a.id), await portalAccess(b.id)];
    expect((await api("POST", `/api/v1/auth/app/${a.id}/expire-all`, {})).status).toBe(204);
    for (const t of [a1, a2])
      expect((await asPortal(t.token, "GET", `/api/v1/app/${a.id}`)).status).toBe(401);
    expect((await asPortal(b1.token, "GET", `/api/v1/app/${b.id}`)).status).toBe(200);
    // A token made afterwards works.
    const fresh = await portalAccess(a.id);
    expect((await asPortal(fresh.token, "GET", `/api/v1/app/${a.id}`)).status).toBe(200);
  });

  it("expires only the sessions named, and after the grace period asked for", async () => {
    const app = await createApp({ name: "sessions", uid: uid("sessions") });
    const s1 = await portalAccess(app.id, { sessionId: "s1" });
    const s2 = await portalAccess(app.id, { sessionId: "s2" });
    const none = await portalAccess(app.id);
    const path = `/api/v1/app/${app.id}`;
    expect((await api("POST", `/api/v1/auth/app/${app.uid}/expire-all`, { sessionIds: ["s1"] })).status).toBe(
      204,
    );
    expect((await asPortal(s1.token, "GET", path)).status).toBe(401);
    expect((await asPortal(s2.token, "GET", path)).status).toBe(200);
    expect((await asPortal(none.token, "GET", path)).status).toBe(200);

    const before = Date.now();
    expect((await api("POST", `/api/v1/auth/app/${app.id}/expire-all`, { expiry: 60 })).status).toBe(204);
    // Still valid during the grace period, which ends within the minute.
    expect((await asPortal(s2.token, "GET", path)).status).toBe(200);
    for (const t of [s2, none]) {
      const row = await tokenRow(t.token);
      expect(row?.expires_at).toBeGreaterThanOrEqual(before + 60_000);
      expect(row?.expires_at).toBeLessThanOrEqual(Date.now() + 60_000);
    }
    await expireInD1(s2.token);
    expect((await asPortal(s2.token, "GET", path)).status).toBe(401);
  });

  it("refuses bad expire-all bodies and unknown applications, changing nothing", async () => {
    const app = await createApp({ name: "expire bad" });
    const { token } = await portalAccess(app.id);
    const before = await tokenRow(token);
    for (const body of [{ expiry: -1 }, { expiry: 604_801 }, { sessionIds: [""] }, { sessionIds: "s1" }]) {
      expect((await api("POST", `/api/v1/auth/app/${app.id}/expire-all`, body)).status).toBe(422);
    }
    expect((await api("POST", "/api/v1/auth/app/app_2unknownunknown0000000000/expire-all", {})).status).toBe(
      404,
    );
    expect(await tokenRow(token)).toEqual(before);
  });

  it("deletes the application's tokens with the application", async () => {
    const app = await createApp({ name: "deleted" });
    const { token } = await portalAccess(app.id);
    expect((await api("DELETE", `/api/v1/app/${app.id}`)).status).toBe(204);
    expect(await tokenRow(token)).toBeNull();
    expect((await asPortal(token, "GET", `/api/v1/app/${app.id}`)).status).toBe(401);
  });
});

describe("cross-origin calls (svix-react on the customer's pages)", () => {
  it("answers a preflight without a token, and allows any origin on answers and errors", async () => {
    const app = await createApp({ name: "cors" });
    const { token } = await portalAccess(app.id);
    const path = `/api/v1/app/${app.id}/endpoint`;
    const preflight = await api("OPTIONS", path, undefined, {
      token: null,
      headers: {
        origin: "https://saas.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const ok = await asPortal(token, "GET", path, undefined, { origin: "https://saas.example" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    const refused = await api("GET", path, undefined, {
      token: null,
      headers: { origin: "https://saas.example" },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    // A server-side client sends no Origin: it gets no CORS headers (and pays nothing for them).
    const server = await asPortal(token, "GET", path);
    expect(server.status).toBe(200);
    expect(server.headers.get("access-control-allow-origin")).toBeNull();
  });
});
