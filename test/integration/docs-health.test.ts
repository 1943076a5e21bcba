import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, json } from "../helpers";

/** The worker's fetch with `overrides` on top of the test env (a broken binding, say). */
async function fetchWith(path: string, overrides: Partial<Env>, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://edgehook.test${path}`, init),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/** A D1 binding whose every query fails, as when the database is unreachable. */
const brokenDb = {
  prepare: () => {
    throw new Error("D1_ERROR: database unavailable");
  },
} as unknown as D1Database;

describe("GET /api/v1/health", () => {
  it("answers 200 with Svix's report when D1 answers, without a token", async () => {
    const res = await api("GET", "/api/v1/health", undefined, { token: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ database: { status: "ok" } });
  });

  it("answers 500 and names the database as the failed component when D1 fails", async () => {
    const res = await fetchWith("/api/v1/health", { DB: brokenDb });
    expect(res.status).toBe(500);
    expect(await json(res)).toEqual({ database: { status: "error" } });
  });

  it("answers HEAD with the same status and no body", async () => {
    const ok = await api("HEAD", "/api/v1/health", undefined, { token: null });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("");
    expect((await fetchWith("/api/v1/health", { DB: brokenDb }, { method: "HEAD" })).status).toBe(500);
  });

  it("answers ping with 204 and touches nothing", async () => {
    const res = await fetchWith("/api/v1/health/ping", { DB: brokenDb });
    expect(res.status).toBe(204);
  });
});

describe("/docs", () => {
  it("serves the page without a token, with no URL of another origin and a self-only CSP", async () => {
    const res = await api("GET", "/docs", undefined, { token: null });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="swagger-ui"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/cdn|jsdelivr|unpkg/i);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|http|\*)/);
    expect(csp).not.toMatch(/https?:|\*/);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it("serves every script and stylesheet the page loads, from this worker", async () => {
    const html = await (await api("GET", "/docs", undefined, { token: null })).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs).toEqual(
      expect.arrayContaining([
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/init.js",
        "/docs/favicon-32x32.png",
      ]),
    );
    for (const ref of refs) {
      const res = await api("GET", ref, undefined, { token: null });
      expect(res.status, ref).toBe(200);
      const body = await res.text();
      expect(body.length, ref).toBeGreaterThan(0);
      if (ref.endsWith(".js")) expect(res.headers.get("content-type"), ref).toMatch(/javascript/);
      if (ref.endsWith(".css")) expect(res.headers.get("content-type"), ref).toMatch(/text\/css/);
    }
  });

  it("keeps no token in storage and loads the document from this origin", async () => {
    const init = await (await api("GET", "/docs/init.js", undefined, { token: null })).text();
    expect(init).toContain("persistAuthorization: false");
    expect(init).toContain('url: "/api/v1/openapi.json"');
    expect(init).not.toMatch(/localStorage|sessionStorage|https?:\/\//);
  });

  it("answers a revalidation by ETag with 304", async () => {
    const first = await api("GET", "/docs/swagger-ui.css", undefined, { token: null });
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await api("GET", "/docs/swagger-ui.css", undefined, {
      token: null,
      headers: { "if-none-match": etag ?? "" },
    });
    expect(again.status).toBe(304);
  });

  it("answers 404 in the error shape for an asset that does not exist", async () => {
    const res = await api("GET", "/docs/nothing.js", undefined, { token: null });
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: "not_found" });
  });
});

describe("authentication around the public routes", () => {
  it("serves the OpenAPI document without a token", async () => {
    const res = await api("GET", "/api/v1/openapi.json", undefined, { token: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ openapi: "3.1.0" });
  });

  it("answers 401 on every other documented /api/v1 route without a token", async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await api("GET", "/api/v1/openapi.json", undefined, { token: null }),
    );
    const PUBLIC = new Set([
      "/api/v1/health",
      "/api/v1/health/ping",
      "/api/v1/openapi.json",
      "/api/v1/egress-ips",
    ]);
    let checked = 0;
    for (const [template, operations] of Object.entries(doc.paths)) {
      if (PUBLIC.has(template)) continue;
      const path = template.replace(/\{[^}]+\}/g, "x1");
      for (const method of Object.keys(operations)) {
        const res = await api(method.toUpperCase(), path, method === "get" ? undefined : {}, { token: null });
        expect(res.status, `${method} ${template}`).toBe(401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
