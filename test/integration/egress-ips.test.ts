import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, json } from "../helpers";

const PATH = "/api/v1/egress-ips";

/** The worker's fetch, without a token, with `overrides` on top of the test env. */
async function fetchWith(overrides: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://edgehook.test${PATH}`), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("GET /api/v1/egress-ips", () => {
  it("answers without a token, with empty regions when none are configured", async () => {
    const res = await api("GET", PATH, undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    const body = (await json(res)) as Record<string, unknown>;
    expect(body).toMatchObject({
      regions: {},
      updatedAt: null,
      cloudflareRanges: "https://www.cloudflare.com/ips/",
    });
    expect(body.note).toMatch(/Cloudflare's shared address ranges/);
  });

  it("publishes the configured addresses per region and their updatedAt", async () => {
    const EGRESS_IPS = JSON.stringify({
      updatedAt: "2026-12-01T10:00:00Z",
      regions: { eu: ["203.0.113.7", "203.0.113.8"], us: ["2001:DB8::1"] },
    });
    const res = await fetchWith({ EGRESS_IPS });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      regions: { eu: ["203.0.113.7", "203.0.113.8"], us: ["2001:db8::1"] },
      updatedAt: "2026-12-01T10:00:00.000Z",
    });
  });

  it("answers 500 in the Svix error shape when EGRESS_IPS is malformed, publishing no list", async () => {
    const res = await fetchWith({ EGRESS_IPS: '{"regions":{"eu":["relay.example.com"]}}' });
    expect(res.status).toBe(500);
    expect(await json(res)).toEqual({ code: "internal_error", detail: "Internal server error" });
  });

  it("is in the served OpenAPI document", async () => {
    const res = await api("GET", "/api/v1/openapi.json", undefined, { token: null });
    const doc = (await json(res)) as { paths: Record<string, { get?: { operationId?: string } }> };
    expect(doc.paths[PATH]?.get?.operationId).toBe("v1.egress-ips.get");
  });
});
