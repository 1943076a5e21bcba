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
