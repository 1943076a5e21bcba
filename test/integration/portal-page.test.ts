import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, json } from "../helpers";

/** The worker's fetch with `overrides` on top of the test env (another PORTAL_FRAME_ANCESTORS). */
async function fetchWith(path: string, overrides: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://edgehook.test${path}`), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const page = (path = "/portal") => api("GET", path, undefined, { token: null });

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

describe("GET /portal", () => {
  it("serves the shell without a token, with the strict CSP, nosniff and no Referer", async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(EXPECTED_CSP);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("has no inline script or style and loads nothing from another origin", async () => {
    const html = await (await page()).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/portal\/assets\/[^"]+"/);
      expect(body?.trim()).toBe("");
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
    // The favicon is a data: URL, so a visit makes no request that could 404.
    expect(html).toContain('<link rel="icon" href="data:,">');
  });

  it("serves the same shell for /portal/ and the page's own paths, but not for the API", async () => {
    const shell = await (await page()).text();
    for (const path of ["/portal/", "/portal/endpoints/ep_123", "/portal/messages", "/portal/event-types"]) {
      const res = await page(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toBe(EXPECTED_CSP);
      expect(await res.text(), path).toBe(shell);
    }
    expect((await page("/portalx")).status).toBe(404);
  });

  it("takes frame-ancestors from PORTAL_FRAME_ANCESTORS", async () => {
    const res = await fetchWith("/portal", {
      PORTAL_FRAME_ANCESTORS: "https://dashboard.example.com  'self'",
    });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/; frame-ancestors https:\/\/dashboard\.example\.com 'self'$/);
    expect(csp).toContain("script-src 'self';");
  });

  it("answers 500 and serves no page when PORTAL_FRAME_ANCESTORS is unsafe", async () => {
    for (const value of ["*", "https://*.example.com", "'unsafe-inline'", "https://a.example.com/path"]) {
      const res = await fetchWith("/portal", { PORTAL_FRAME_ANCESTORS: value });
      expect(res.status, value).toBe(500);
      expect(await res.text(), value).not.toContain("<html");
    }
  });
});

describe("/portal/assets/*", () => {
  it("serves the page's script and stylesheet, built into assets/portal/, with the CSP", async () => {
    const html = await (await page()).text();
    const refs = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.sort()).toEqual(["/portal/assets/portal.css", "/portal/assets/portal.js"]);
    for (const ref of refs) {
      const res = await page(ref);
      expect(res.status, ref).toBe(200);
      expect((await res.text()).length, ref).toBeGreaterThan(100);
      expect(res.headers.get("content-security-policy"), ref).toBe(EXPECTED_CSP);
      expect(res.headers.get("x-content-type-options"), ref).toBe("nosniff");
      if (ref.endsWith(".js")) expect(res.headers.get("content-type"), ref).toMatch(/javascript/);
      if (ref.endsWith(".css")) expect(res.headers.get("content-type"), ref).toMatch(/text\/css/);
    }
  });

  it("keeps the token out of storage and cookies and sends it only as a bearer token", async () => {
    const js = await (await page("/portal/assets/portal.js")).text();
    expect(js).not.toMatch(/localStorage|sessionStorage|document\.cookie|indexedDB/);
    expect(js).toContain("replaceState");
    expect(js).toMatch(/Bearer /);
    // No URL of another origin: only hono's SVG/MathML namespace names and the URL field's placeholder.
    const urls = [...js.matchAll(/https?:\/\/[^`"'\s]*/g)].map((m) => m[0]);
    expect(urls.filter((u) => u !== "https://" && !u.startsWith("http://www.w3.org/"))).toEqual([]);
  });

  it("answers 404 in the error shape for an asset that does not exist, also nested", async () => {
    for (const path of ["/portal/assets/nothing.js", "/portal/assets/a/b.js", "/portal/assets/"]) {
      const res = await page(path);
      expect(res.status, path).toBe(404);
      expect(await json(res), path).toMatchObject({ code: "not_found" });
    }
  });

  it("does not serve the docs or other asset folders through the portal's path", async () => {
    const res = await page("/portal/assets/..%2Fdocs%2Fswagger-ui.css");
    expect(res.status).toBe(404);
  });
});
