import { exports } from "cloudflare:workers";
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
// with a 401 in the Svix error shape, and only the routes listed here answer without one.

/** Routes that must answer without a token. */
const PUBLIC = ["GET /api/v1/health", "GET /api/v1/health/ping", "GET /api/v1/egress-ips", "GET /docs"];
/** Routes that may answer without a token: the document (Svix serves it publicly) and /docs assets. */
const MAY_BE_PUBLIC = (route: string) =>
  route === "GET /api/v1/openapi.json" || route.startsWith("GET /docs/");

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
