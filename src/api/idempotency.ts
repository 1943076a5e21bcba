import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { invalid } from "../errors";
import {
  claimOrReplay,
  IDEMPOTENCY_DEFAULTS,
  type IdempotencySettings,
  type IdempotentRequest,
  releaseClaim,
  requestHash,
  type StoredAnswer,
  storeAnswer,
} from "../services/idempotency";
import type { AppEnv, Auth } from "../types";

/** Svix's limit on the key's length. */
const MAX_KEY_LENGTH = 256;
/**
 * Who the key belongs to: the admin token, or an app-portal token's application, so that one
 * caller's keys never answer another's requests.
 */
function tenantOf(auth: Auth): string {
  return auth.kind === "admin" ? "admin" : `portal:${auth.appId}`;
}

/** The header as each idempotent route declares it in the OpenAPI document. */
export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(MAX_KEY_LENGTH)
    .optional()
    .openapi({
      description:
        "Makes the request safe to retry: a repeat with this key within 24 hours answers what the first " +
        "request answered (status and body) and has no further effect. A repeat while the first is " +
        "running waits for it briefly, then answers 409; a repeat with another query or body is a 422. " +
        "A 5xx answer frees the key.",
    }),
});

function checkKey(key: string) {
  if (key.length === 0) throw invalid(["header", "idempotency-key"], "must not be empty", "too_small");
  if (key.length > MAX_KEY_LENGTH) {
    throw invalid(["header", "idempotency-key"], `must be at most ${MAX_KEY_LENGTH} characters`, "too_big");
  }
}

function replay(answer: StoredAnswer): Response {
  const headers = new Headers({ "idempotent-replayed": "true" });
  if (answer.contentType) headers.set("content-type", answer.contentType);
  return new Response(answer.status === 204 ? null : answer.body, { status: answer.status, headers });
}

const logFailure = (step: string) => (err: unknown) =>
  console.error(`idempotency: ${step} failed`, err instanceof Error ? err.message : err);

/**
 * After the handler: a 5xx frees the key (nothing to replay, the retry runs again); any other
 * answer is stored. The caller gets its answer even if storing fails: the claim then stays
 * until its lease runs out, and repeats meanwhile wait or get 409 rather than run twice.
 */
async function settle(c: Context<AppEnv>, request: IdempotentRequest, claim: string) {
  if (c.res.status >= 500) {
    await releaseClaim(c.env.DB, request, claim).catch(logFailure("release"));
    return;
  }
  const answer: StoredAnswer = {
    status: c.res.status,
    contentType: c.res.headers.get("content-type"),
    body: await c.res.clone().text(),
  };
  await storeAnswer(c.env.DB, request, claim, answer).catch(logFailure("store"));
}

/**
 * Honours `idempotency-key` on a POST: same key, same answer, one effect, for 24 hours. Keys
 * are scoped by caller, method and concrete path. Without the header the request runs as is.
 */
export function idempotency(options: Partial<IdempotencySettings> = {}): MiddlewareHandler<AppEnv> {
  const settings = { ...IDEMPOTENCY_DEFAULTS, ...options };
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header("idempotency-key");
    if (key === undefined) return next();
    checkKey(key);
    const url = new URL(c.req.url);
    const request: IdempotentRequest = {
      tenant: tenantOf(c.get("auth")),
      scope: `${c.req.method} ${url.pathname}`,
      key,
      requestHash: await requestHash(url.search, await c.req.arrayBuffer()),
    };
    const outcome = await claimOrReplay(c.env.DB, request, settings);
    if ("answer" in outcome) return replay(outcome.answer);
    await next();
    await settle(c, request, outcome.claim);
  };
}
