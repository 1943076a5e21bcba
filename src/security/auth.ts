import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";
import type { AppEnv, PortalAuth } from "../types";
import { portalRefusal } from "./portal-scope";

const encoder = new TextEncoder();

async function digest(value: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(value));
}

/**
 * Constant-time token comparison. Both sides are hashed first so the comparison runs over
 * equal lengths and its time reveals neither the token's length nor a matching prefix.
 */
export async function tokensMatch(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** An app-portal token: "appsk_" + base64url (no padding) of 32 random bytes. */
export const PORTAL_TOKEN_PATTERN = /^appsk_[A-Za-z0-9_-]{43}$/;

export function newPortalToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...bytes));
  return `appsk_${b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/**
 * What a portal token is stored and looked up by: its SHA-256 in hex. The token carries 256
 * random bits, so the hash can be neither reversed nor guessed, and a lookup by it leaks
 * nothing a timing attack could use.
 */
export async function portalTokenHash(token: string): Promise<string> {
  const bytes = new Uint8Array(await digest(token));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface BearerAuthOptions {
  /** Paths (exact) that answer without a token, e.g. health checks. */
  publicPaths: string[];
  /** The live portal token with this hash, or null (injected: the lookup is in services). */
  portalToken: (env: Env, hash: string) => Promise<PortalAuth | null>;
}

const unauthenticated = () => new ApiError(401, "authentication_failed", "Invalid or missing bearer token");

/**
 * Accepts the admin token (everything) or an app-portal token (its application's routes, as
 * the scope table in portal-scope.ts allows), and tells the routes which one in `auth`.
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  const publicPaths = new Set(options.publicPaths);
  return async function bearerAuthMiddleware(c, next) {
    if (publicPaths.has(c.req.path)) return next();
    const expected = c.env.ADMIN_TOKEN;
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer\s+(.+)$/i.exec(header.trim())?.[1];
    if (!presented) throw unauthenticated();
    // An unset ADMIN_TOKEN locks the admin API rather than opening it.
    if (expected && (await tokensMatch(presented, expected))) {
      c.set("auth", { kind: "admin" });
      return next();
    }
    if (!PORTAL_TOKEN_PATTERN.test(presented)) throw unauthenticated();
    const portal = await options.portalToken(c.env, await portalTokenHash(presented));
    if (!portal) throw unauthenticated();
    const refusal = portalRefusal(portal, c.req.method, c.req.path);
    if (refusal) throw new ApiError(403, "forbidden", refusal);
    c.set("auth", portal);
    return next();
  };
}
