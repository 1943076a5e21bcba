import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp as createHonoApp } from "../../src/app";
import { ADMIN_TOKEN, createApp } from "../helpers";
import { createEndpoint } from "./delivery-fixtures";
import {
  BASE,
  errorShapeProblem,
  type Operation,
  operations,
  servedDocument,
  snapshot,
} from "./fuzz-support";

// Every operation of the served OpenAPI document refuses a request without the admin token
// with a 401 in the Svix error shape, and only the routes listed here answer without one. An
// app-portal token reaches exactly the operations listed in PORTAL (403 for the rest), and one
// that has ended gets the same 401 as no token.

/** Routes that must answer without a token. */
const PUBLIC = [
  "GET /api/v1/health",
  "GET /api/v1/health/ping",
  "GET /api/v1/egress-ips",
  "GET /docs",
  // The consumer portal's page and its static files: the token travels in the URL fragment,
  // which no request carries, and the page sends it to the API as a bearer token.
  "GET /portal",
  "GET /portal/*",
];
/** Routes that may answer without a token: the document (Svix serves it publicly) and page assets. */
const MAY_BE_PUBLIC = (route: string) =>
  route === "GET /api/v1/openapi.json" ||
  route.startsWith("GET /docs/") ||
  route.startsWith("GET /portal/assets/");

/** A header value of the bytes of a UTF-8 string (headers are byte strings). */
const utf8Bytes = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));

/** Ways to present no valid admin token, as request headers. */
const BAD_AUTH: [string, Record<string, string>][] = [
  ["no Authorization header", {}],
  ["an empty header", { authorization: "" }],
  ["a wrong token", { authorization: "Bearer wrong-token" }],
  ["the scheme alone", { authorization: "Bearer" }],
  ["the scheme and a space", { authorization: "Bearer " }],
  ["Basic credentials", { authorization: "Basic xyz" }],
  ["the token as Basic credentials", { authorization: `Basic ${btoa(`${ADMIN_TOKEN}:`)}` }],
  ["a lower-case scheme, two spaces and a wrong token", { authorization: "bearer  token" }],
  ["a 10 KB token", { authorization: `Bearer ${"t".repeat(10_240)}` }],
  ["a non-ASCII token", { authorization: `Bearer ${utf8Bytes("токен-ñ-🙂")}` }],
  ["the token without a scheme", { authorization: ADMIN_TOKEN }],
  ["the token with a suffix", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
  ["the token less its last character", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
  ["two credentials in one header", { authorization: `Bearer wrong, Bearer ${ADMIN_TOKEN}` }],
  ["the token in another header", { "x-api-key": ADMIN_TOKEN, "svix-token": ADMIN_TOKEN }],
];

/**
 * The operations an app-portal token (all capabilities) may call on its own application: the
 * contract of issue 12 (src/security/portal-scope.ts). A new route is refused to portal tokens
 * until it is listed there and here.
 */
const PORTAL = [
  "GET /api/v1/app/{app_id}",
  "GET /api/v1/app/{app_id}/endpoint",
  "POST /api/v1/app/{app_id}/endpoint",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}",
  "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}",
  "PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}",
  "DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  "PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  "PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
  "POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats/hourly",
  "GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
  "POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
  "POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
  "GET /api/v1/app/{app_id}/msg",
  "GET /api/v1/app/{app_id}/msg/{msg_id}",
  "GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint",
  "GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
  "POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
  "GET /api/v1/app/{app_id}/attempt/msg/{msg_id}",
  "GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
  "GET /api/v1/event-type",
  "GET /api/v1/event-type/{event_type_name}",
  "GET /api/v1/background-task",
  "GET /api/v1/background-task/{task_id}",
  "POST /api/v1/auth/logout",
];

/** A fresh app-portal token of the application, with every capability. */
async function portalToken(appId: string): Promise<string> {
  const res = await send(
    "POST",
    `/api/v1/auth/app-portal-access/${appId}`,
    { authorization: `Bearer ${ADMIN_TOKEN}` },
    "{}",
  );
  return (JSON.parse(res.text) as { token: string }).token;
}

const hasBody = (method: string) => method === "POST" || method === "PUT" || method === "PATCH";

/** The operation's path with its parameters set to existing ids where there are some. */
function pathOf(route: string, ids: Record<string, string>): string {
  return route
    .replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(ids[name] ?? `${name}-x`))
    .replace(/:[A-Za-z0-9_]+(\{[^}]*\})?/g, "x")
    .replace(/\*/g, "x");
}

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const all = body === undefined ? headers : { "content-type": "application/json", ...headers };
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers: all, body }));
  return { status: res.status, text: await res.text() };
}

/** Why the answer to an unauthenticated request is not a 401 in the Svix shape, or null. */
function notA401(status: number, text: string): string | null {
  if (status !== 401) return `answered ${status}: ${text.slice(0, 120)}`;
  return errorShapeProblem(text);
}

async function fixtureIds() {
  const app = await createApp({ name: "auth matrix" });
  const ep = await createEndpoint(app.id);
  return { app_id: app.id, endpoint_id: ep.id, event_type_name: "auth.matrix" };
}

const OPERATIONS: Operation[] = operations(await servedDocument());
const privateOps = () => OPERATIONS.filter((op) => !PUBLIC.includes(op.key) && !MAY_BE_PUBLIC(op.key));

describe("auth matrix", () => {
  it("walks a document with the whole API in it", () => {
    expect(privateOps().length).toBeGreaterThan(30);
  });

  it("answers 401 in the Svix error shape to every bad Authorization on every private operation", async () => {
    const ids = await fixtureIds();
    const before = await snapshot([]);
    const failures: string[] = [];
    for (const op of privateOps()) {
      const path = pathOf(op.path, ids);
      for (const [label, headers] of BAD_AUTH) {
        const { status, text } = await send(op.method, path, headers, hasBody(op.method) ? "{}" : undefined);
        const problem = notA401(status, text);
        if (problem) failures.push(`${op.key} with ${label}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot([])).toEqual(before);
  });

  it("lets a portal token reach exactly the PORTAL operations, and answers 403 forbidden to the rest", async () => {
    const app = await createApp({ name: "portal matrix" });
    const reached: string[] = [];
    const failures: string[] = [];
    for (const op of privateOps()) {
      // Only the application is real: other ids name nothing, bodies are empty, nothing changes.
      const token = await portalToken(app.id);
      const auth = { authorization: `Bearer ${token}` };
      const { status, text } = await send(
        op.method,
        pathOf(op.path, { app_id: app.id }),
        auth,
        hasBody(op.method) ? "{}" : undefined,
      );
      if (status === 403) {
        const problem = errorShapeProblem(text);
        if (problem || JSON.parse(text).code !== "forbidden")
          failures.push(`${op.key}: ${text.slice(0, 120)}`);
      } else if (status === 401 || status >= 500) {
        failures.push(`${op.key}: answered ${status}`);
      } else {
        reached.push(op.key);
      }
    }
    expect(failures).toEqual([]);
    expect(reached.sort()).toEqual([...PORTAL].sort());
  });

  it("answers 401 to ended or forged portal tokens on every private operation", async () => {
    const ids = await fixtureIds();
    const expired = await portalToken(ids.app_id);
    await env.DB.prepare("UPDATE portal_tokens SET expires_at = 0").run();
    const loggedOut = await portalToken(ids.app_id);
    await send("POST", "/api/v1/auth/logout", { authorization: `Bearer ${loggedOut}` });
    const gone = await createApp({ name: "deleted" });
    const ofDeletedApp = await portalToken(gone.id);
    await send("DELETE", `/api/v1/app/${gone.id}`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    const tokens: [string, string][] = [
      ["an expired portal token", expired],
      ["a logged-out portal token", loggedOut],
      ["a portal token of a deleted application", ofDeletedApp],
      ["a made-up portal token", `appsk_${"A".repeat(43)}`],
      ["a portal token one character short", expired.slice(0, -1)],
    ];
    const failures: string[] = [];
    for (const op of privateOps()) {
      for (const [label, token] of tokens) {
        const auth = { authorization: `Bearer ${token}` };
        const { status, text } = await send(
          op.method,
          pathOf(op.path, ids),
          auth,
          hasBody(op.method) ? "{}" : undefined,
        );
        const problem = notA401(status, text);
        if (problem) failures.push(`${op.key} with ${label}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("checks the token before reading the body: no token and a 300 KB body is a 401", async () => {
    const ids = await fixtureIds();
    const failures: string[] = [];
    const big = JSON.stringify({ name: "x".repeat(300_000) });
    for (const op of privateOps().filter((o) => hasBody(o.method))) {
      const { status, text } = await send(op.method, pathOf(op.path, ids), {}, big);
      const problem = notA401(status, text);
      if (problem) failures.push(`${op.key}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  it("serves exactly the listed public routes without a token", async () => {
    const routes = new Set(OPERATIONS.map((op) => op.key));
    for (const r of createHonoApp().routes) if (r.method !== "ALL") routes.add(`${r.method} ${r.path}`);
    const open: string[] = [];
    for (const route of routes) {
      const [method = "GET", path = "/"] = route.split(" ");
      const { status } = await send(method, pathOf(path, {}), {}, hasBody(method) ? "{}" : undefined);
      if (status !== 401) open.push(route);
    }
    expect(open.filter((r) => !PUBLIC.includes(r) && !MAY_BE_PUBLIC(r)).sort()).toEqual([]);
    expect(PUBLIC.filter((r) => !open.includes(r))).toEqual([]);
  });
});
