import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";

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

export interface BearerAuthOptions {
  /** Paths (exact) that answer without a token, e.g. health checks. */
  publicPaths: string[];
}

export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<{ Bindings: Env }> {
  const publicPaths = new Set(options.publicPaths);
  return async function bearerAuthMiddleware(c, next) {
    if (publicPaths.has(c.req.path)) return next();
    const expected = c.env.ADMIN_TOKEN;
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    // An unset ADMIN_TOKEN locks the API rather than opening it.
    if (!expected || !match?.[1] || !(await tokensMatch(match[1], expected))) {
      throw new ApiError(401, "authentication_failed", "Invalid or missing bearer token");
    }
    return next();
  };
}
