import type { Context } from "hono";
import { getConfig } from "../config";
import { ApiError } from "../errors";
import type { App, AppEnv } from "../types";
import { PORTAL_ASSETS, PORTAL_SHELL } from "./shell";

/**
 * The page's policy: only this origin's script, style and API; images may be data: URLs (the
 * favicon). Colours from the URL are set through the CSSOM, which style-src 'self' allows.
 * frame-ancestors comes from PORTAL_FRAME_ANCESTORS so a SaaS dashboard can embed the page.
 */
export function portalCsp(frameAncestors: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors.join(" ")}`,
  ].join("; ");
}

function secured(res: Response, csp: string): Response {
  res.headers.set("content-security-policy", csp);
  res.headers.set("x-content-type-options", "nosniff");
  res.headers.set("referrer-policy", "no-referrer");
  return res;
}

/**
 * GET /portal (and any path under it, which the page's history entries use) answers the shell;
 * /portal/assets/<file> answers assets/portal/<file> from the ASSETS binding. The token never
 * reaches the worker here: it travels in the URL fragment.
 */
export function registerPortal(app: App): void {
  app.get(`${PORTAL_ASSETS}/:file`, async (c) => {
    const csp = portalCsp(getConfig(c.env).portalFrameAncestors);
    // A deployment without [assets] (the bench's) has no page assets; the API is unaffected.
    const assets = c.env.ASSETS as Fetcher | undefined;
    if (!assets) throw new ApiError(404, "not_found", "The /portal assets are not deployed here");
    const url = new URL(`/portal/${encodeURIComponent(c.req.param("file"))}`, c.req.url);
    const res = await assets.fetch(new Request(url, { headers: c.req.raw.headers }));
    // Anything but 404 passes through as is (304 answers a revalidation by ETag).
    if (res.status === 404) throw new ApiError(404, "not_found", `No asset ${c.req.path}`);
    return secured(new Response(res.body, res), csp);
  });
  const shell = (c: Context<AppEnv>) => {
    if (c.req.path.startsWith(`${PORTAL_ASSETS}/`)) {
      throw new ApiError(404, "not_found", `No asset ${c.req.path}`);
    }
    const csp = portalCsp(getConfig(c.env).portalFrameAncestors);
    const res = c.html(PORTAL_SHELL);
    res.headers.set("cache-control", "no-store");
    return secured(res, csp);
  };
  app.get("/portal", shell);
  app.get("/portal/*", shell);
}
