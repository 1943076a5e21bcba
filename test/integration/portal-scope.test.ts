import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createApp, json } from "../helpers";
import { drained, spySendBatch } from "./consumer-helpers";
import { createEndpoint, createEventType, createMessage, RECEIVER } from "./delivery-fixtures";
import { asPortal, portalAccess } from "./portal-fixtures";

// What an app-portal token may call (the contract of issue 12): its own application's routes as
// its capabilities allow, the event type catalogue, its application's background tasks, logout.

type Page<T> = { data: T[]; iterator: string | null; done: boolean };
type Cap =
  | "ViewBase"
  | "ViewEndpointSecret"
  | "ManageEndpointSecret"
  | "ManageTransformations"
  | "CreateAttempts"
  | "ManageEndpoint";
const ALL: Cap[] = [
  "ViewBase",
  "ViewEndpointSecret",
  "ManageEndpointSecret",
  "ManageTransformations",
  "CreateAttempts",
  "ManageEndpoint",
];

afterEach(() => {
  vi.restoreAllMocks();
});

const uid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const since = () => new Date(Date.now() - 3_600_000).toISOString();

async function expectForbidden(res: Response, what: string) {
  expect(res.status, what).toBe(403);
  const body = await json<{ code: string; detail: string }>(res);
  expect(body.code, what).toBe("forbidden");
  expect(body.detail, what).toMatch(/^This token cannot /);
}

/**
 * Every operation on the token's own application, on ids that do not exist: a call the token
 * may make answers 200 (a list), 404 or 422 and changes nothing, one it may not answers 403.
 */
function operations(appId: string): [string, string, string, unknown, Cap[]][] {
  const base = `/api/v1/app/${appId}`;
  const ep = `${base}/endpoint/ep_none`;
  const VIEW: Cap[] = ["ViewBase"];
  const MANAGE: Cap[] = ["ManageEndpoint"];
  const ATTEMPTS: Cap[] = ["CreateAttempts"];
  return [
    ["list endpoints", "GET", `${base}/endpoint`, undefined, VIEW],
    ["get endpoint", "GET", ep, undefined, VIEW],
    ["get headers", "GET", `${ep}/headers`, undefined, VIEW],
    ["list messages", "GET", `${base}/msg`, undefined, VIEW],
    [
      "get secret",
      "GET",
      `${ep}/secret`,
      undefined,
      ["ViewEndpointSecret", "ManageEndpointSecret", "ManageEndpoint"],
    ],
    ["rotate secret", "POST", `${ep}/secret/rotate`, {}, ["ManageEndpointSecret", "ManageEndpoint"]],
    ["create endpoint", "POST", `${base}/endpoint`, {}, MANAGE],
    ["update endpoint", "PUT", ep, {}, MANAGE],
    ["patch endpoint", "PATCH", ep, {}, MANAGE],
    ["delete endpoint", "DELETE", ep, undefined, MANAGE],
    ["update headers", "PUT", `${ep}/headers`, { headers: {} }, MANAGE],
    ["patch headers", "PATCH", `${ep}/headers`, { headers: {} }, MANAGE],
    ["recover", "POST", `${ep}/recover`, { since: since() }, ATTEMPTS],
    ["send example", "POST", `${ep}/send-example`, { eventType: "none.such" }, ATTEMPTS],
    ["resend", "POST", `${base}/msg/msg_none/endpoint/ep_none/resend`, undefined, ATTEMPTS],
  ];
}

/** Calls no capability grants, on the token's own application. */
function neverAllowed(appId: string): [string, string, unknown?][] {
  const base = `/api/v1/app/${appId}`;
  return [
    ["POST", `${base}/msg`, { eventType: "user.signup", payload: {} }],
    ["DELETE", `${base}/msg/msg_none/content`],
    ["DELETE", `${base}/msg/msg_none/attempt/atmpt_none/content`],
    ["PUT", base, { name: "renamed" }],
    ["PATCH", base, { name: "renamed" }],
    ["DELETE", base],
    ["POST", `/api/v1/auth/app-portal-access/${appId}`, {}],
    ["POST", `/api/v1/auth/app/${appId}/expire-all`, {}],
  ];
}

const ADMIN_ROUTES: [string, string, unknown?][] = [
  ["POST", "/api/v1/app", { name: "from a portal token" }],
  ["GET", "/api/v1/app"],
  ["POST", "/api/v1/event-type", { name: "portal.made", description: "no" }],
  ["PUT", "/api/v1/event-type/portal.made", { description: "no" }],
  ["PATCH", "/api/v1/event-type/portal.made", { description: "no" }],
  ["DELETE", "/api/v1/event-type/portal.made"],
];

describe("portal token scope", () => {
  it("refuses the other application's endpoints, messages and attempts, by id and by uid", async () => {
    const mine = await createApp({ name: "mine", uid: uid("mine") });
    const theirs = await createApp({ name: "theirs", uid: uid("theirs") });
    const theirEp = await createEndpoint(theirs.id);
    spySendBatch(); // the message's deliveries stay off the queue: no receiver here
    const theirMsg = await createMessage(theirs.id);
    await drained(theirs.id);
    const { token } = await portalAccess(mine.id);
    for (const appRef of [theirs.id, theirs.uid ?? ""]) {
      const base = `/api/v1/app/${appRef}`;
      for (const path of [
        base,
        `${base}/endpoint`,
        `${base}/endpoint/${theirEp.id}`,
        `${base}/endpoint/${theirEp.id}/secret`,
        `${base}/msg`,
        `${base}/msg/${theirMsg.id}`,
        `${base}/attempt/msg/${theirMsg.id}`,
        `${base}/attempt/endpoint/${theirEp.id}`,
      ]) {
        await expectForbidden(await asPortal(token, "GET", path), path);
      }
      await expectForbidden(await asPortal(token, "POST", `${base}/endpoint`, { url: RECEIVER }), "create");
      await expectForbidden(await asPortal(token, "DELETE", `${base}/endpoint/${theirEp.id}`), "delete");
    }
    // Their ids under my application's path name nothing of mine.
    const base = `/api/v1/app/${mine.id}`;
    for (const path of [
      `${base}/endpoint/${theirEp.id}`,
      `${base}/endpoint/${theirEp.id}/secret`,
      `${base}/msg/${theirMsg.id}`,
      `${base}/attempt/endpoint/${theirEp.id}`,
      `${base}/attempt/msg/${theirMsg.id}`,
    ]) {
      const res = await asPortal(token, "GET", path);
      expect(res.status, path).toBe(404);
    }
    // Still there, untouched.
    expect((await api("GET", `/api/v1/app/${theirs.id}/endpoint/${theirEp.id}`)).status).toBe(200);
    // By my uid, my application is mine.
    expect((await asPortal(token, "GET", `/api/v1/app/${mine.uid}/endpoint`)).status).toBe(200);
  });

  it("refuses the admin routes and what no capability grants", async () => {
    const app = await createApp({ name: "admin routes" });
    const { token } = await portalAccess(app.id);
    const apps = await json<Page<unknown>>(await api("GET", "/api/v1/app?limit=250"));
    for (const [method, path, body] of [...ADMIN_ROUTES, ...neverAllowed(app.id)]) {
      await expectForbidden(await asPortal(token, method, path, body), `${method} ${path}`);
    }
    expect(await json<Page<unknown>>(await api("GET", "/api/v1/app?limit=250"))).toEqual(apps);
    expect((await api("GET", `/api/v1/app/${app.id}`)).status).toBe(200);
    expect((await api("GET", "/api/v1/event-type/portal.made")).status).toBe(404);
  });

  it("grants each capability exactly its operations", async () => {
    const app = await createApp({ name: "capabilities" });
    const sets: [string, Record<string, unknown>, Cap[]][] = [
      ["readOnly", { readOnly: true }, ["ViewBase"]],
      ["all (default)", {}, ALL],
      ...ALL.map((c): [string, Record<string, unknown>, Cap[]] => [
        c,
        { capabilities: ["ViewBase", c] },
        ["ViewBase", c],
      ]),
    ];
    const wrong: string[] = [];
    for (const [label, body, caps] of sets) {
      const { token } = await portalAccess(app.id, body);
      for (const [op, method, path, payload, grantedBy] of operations(app.id)) {
        const res = await asPortal(token, method, path, payload);
        const allowed = grantedBy.some((c) => caps.includes(c));
        if (allowed && ![200, 404, 422].includes(res.status))
          wrong.push(`${label} ${op}: ${res.status}, expected 200/404/422`);
        if (!allowed && res.status !== 403) wrong.push(`${label} ${op}: ${res.status}, expected 403`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("makes a read-only token read only, on real data", async () => {
    const app = await createApp({ name: "read only" });
    const ep = await createEndpoint(app.id);
    spySendBatch();
    const msg = await createMessage(app.id);
    await drained(app.id);
    const base = `/api/v1/app/${app.id}`;
    for (const body of [{ readOnly: true }, { capabilities: ["ViewBase"] }]) {
      const { token } = await portalAccess(app.id, body);
      for (const path of [`${base}/endpoint`, `${base}/endpoint/${ep.id}`, `${base}/msg/${msg.id}`]) {
        expect((await asPortal(token, "GET", path)).status, path).toBe(200);
      }
      const writes: [string, string, unknown?][] = [
        ["GET", `${base}/endpoint/${ep.id}/secret`],
        ["POST", `${base}/endpoint/${ep.id}/secret/rotate`, {}],
        ["POST", `${base}/endpoint`, { url: RECEIVER }],
        ["PATCH", `${base}/endpoint/${ep.id}`, { disabled: true }],
        ["PUT", `${base}/endpoint/${ep.id}`, { url: RECEIVER }],
        ["DELETE", `${base}/endpoint/${ep.id}`],
        ["PUT", `${base}/endpoint/${ep.id}/headers`, { headers: { "X-A": "1" } }],
        ["PATCH", `${base}/endpoint/${ep.id}/headers`, { headers: { "X-A": "1" } }],
        ["POST", `${base}/endpoint/${ep.id}/recover`, { since: since() }],
        ["POST", `${base}/endpoint/${ep.id}/send-example`, { eventType: "user.signup" }],
        ["POST", `${base}/msg/${msg.id}/endpoint/${ep.id}/resend`],
        ["POST", `${base}/msg`, { eventType: "user.signup", payload: {} }],
      ];
      for (const [method, path, payload] of writes) {
        await expectForbidden(await asPortal(token, method, path, payload), `${method} ${path}`);
      }
    }
    const after = await json<{ disabled: boolean }>(await api("GET", `${base}/endpoint/${ep.id}`));
    expect(after.disabled).toBe(false);
    expect((await json<Page<unknown>>(await api("GET", `${base}/endpoint`))).data).toHaveLength(1);
  });

  it("hides event types whose feature flags the token lacks", async () => {
    const plain = await createEventType();
    const beta = await createEventType({ featureFlags: ["beta"] });
    const both = await createEventType({ featureFlags: ["beta", "gamma"] });
    const app = await createApp({ name: "flags" });
    const names = async (token?: string) => {
      const seen: string[] = [];
      let iterator: string | null = null;
      for (;;) {
        const q: string = iterator ? `&iterator=${iterator}` : "";
        const res: Response = token
          ? await asPortal(token, "GET", `/api/v1/event-type?limit=250${q}`)
          : await api("GET", `/api/v1/event-type?limit=250${q}`);
        const page = await json<Page<{ name: string }>>(res);
        seen.push(...page.data.map((e) => e.name));
        if (page.done || !page.iterator) break;
        iterator = page.iterator;
      }
      return [plain, beta, both].filter((n) => seen.includes(n));
    };
    const withBeta = (await portalAccess(app.id, { featureFlags: ["beta"] })).token;
    const withAll = (await portalAccess(app.id, { featureFlags: ["gamma", "beta"] })).token;
    const without = (await portalAccess(app.id)).token;
    expect(await names(withBeta)).toEqual([plain, beta]);
    expect(await names(withAll)).toEqual([plain, beta, both]);
    expect(await names(without)).toEqual([plain]);
    expect(await names()).toEqual([plain, beta, both]);
    expect((await asPortal(withBeta, "GET", `/api/v1/event-type/${beta}`)).status).toBe(200);
    expect((await asPortal(withBeta, "GET", `/api/v1/event-type/${both}`)).status).toBe(404);
    expect((await asPortal(without, "GET", `/api/v1/event-type/${beta}`)).status).toBe(404);
    expect((await api("GET", `/api/v1/event-type/${both}`)).status).toBe(200);
  });

  it("shows a token only its own application's background tasks", async () => {
    const [mine, theirs] = [
      await createApp({ name: "tasks mine" }),
      await createApp({ name: "tasks theirs" }),
    ];
    const [myEp, theirEp] = [await createEndpoint(mine.id), await createEndpoint(theirs.id)];
    const { token } = await portalAccess(mine.id);
    const recover = async (res: Promise<Response>) => {
      const r = await res;
      expect(r.status).toBe(202);
      return (await json<{ id: string }>(r)).id;
    };
    const theirTask = await recover(
      api("POST", `/api/v1/app/${theirs.id}/endpoint/${theirEp.id}/recover`, { since: since() }),
    );
    const myTask = await recover(
      asPortal(token, "POST", `/api/v1/app/${mine.id}/endpoint/${myEp.id}/recover`, { since: since() }),
    );
    expect((await asPortal(token, "GET", `/api/v1/background-task/${myTask}`)).status).toBe(200);
    expect((await asPortal(token, "GET", `/api/v1/background-task/${theirTask}`)).status).toBe(404);
    const listed = await json<Page<{ id: string }>>(
      await asPortal(token, "GET", "/api/v1/background-task?limit=250"),
    );
    expect(listed.data.map((t) => t.id)).toContain(myTask);
    expect(listed.data.map((t) => t.id)).not.toContain(theirTask);
    const all = await json<Page<{ id: string }>>(await api("GET", "/api/v1/background-task?limit=250"));
    expect(all.data.map((t) => t.id)).toEqual(expect.arrayContaining([myTask, theirTask]));
  });

  it("keeps a portal token's idempotency keys apart from the admin's", async () => {
    const app = await createApp({ name: "idempotency" });
    const { token } = await portalAccess(app.id);
    const path = `/api/v1/app/${app.id}/endpoint`;
    const headers = { "idempotency-key": "shared-key" };
    const body = { url: RECEIVER };
    const admin = await api("POST", path, body, { headers });
    expect(admin.status).toBe(201);
    const portal = await asPortal(token, "POST", path, body, headers);
    expect(portal.status).toBe(201);
    expect(portal.headers.get("idempotent-replayed")).toBeNull();
    const [a, p] = [await json<{ id: string }>(admin), await json<{ id: string }>(portal)];
    expect(p.id).not.toBe(a.id);
    // The portal's own repeat is answered from its own key.
    const again = await asPortal(token, "POST", path, body, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await json<{ id: string }>(again)).id).toBe(p.id);
    expect((await json<Page<unknown>>(await api("GET", path))).data).toHaveLength(2);
  });
});
