import {
  deleteExpiredPortalTokens,
  deletePortalToken,
  expireAppPortalTokens,
  findLivePortalToken,
  insertPortalToken,
} from "../db/portal-tokens";
import { invalid } from "../errors";
import { parseJson } from "../lib/json";
import { newPortalToken, portalTokenHash } from "../security/auth";
import { PORTAL_CAPABILITIES } from "../security/portal-scope";
import type { PortalAuth, PortalCapability } from "../types";
import { type ApplicationInput, requireApplication, requireOrCreateApplication } from "./applications";

// App-portal access tokens (Svix's app-portal-access): scoped to one application, stored as
// SHA-256 hashes only, ended by expiry, logout or expire-all.

/** Svix: a token lives 7 days unless asked for less (at least an hour). */
export const PORTAL_TOKEN_DEFAULT_EXPIRY_S = 7 * 24 * 3600;
/** Expired tokens deleted per cron run (every 5 minutes): a bounded write. */
const CLEANUP_BATCH = 500;

export interface PortalAccessInput {
  application?: ApplicationInput | null;
  featureFlags?: string[];
  expiry?: number | null;
  readOnly?: boolean | null;
  capabilities?: PortalCapability[] | null;
  sessionId?: string | null;
}

/** The capabilities a token gets: all by default; readOnly (deprecated) means ViewBase only. */
function capabilitiesOf(input: PortalAccessInput): PortalCapability[] {
  if (input.readOnly) return ["ViewBase"];
  const asked = input.capabilities ?? [...PORTAL_CAPABILITIES];
  // Svix: "The ViewBase capability is always required"; a token without it could do nothing
  // it could see, so such a request is refused rather than silently widened.
  if (!asked.includes("ViewBase")) throw invalid(["body", "capabilities"], "must include ViewBase");
  return [...new Set(asked)];
}

/**
 * Issues a token for the application (creating it from `application` when the path's uid names
 * none, as message create does). The token is answered once and only its hash is kept.
 */
export async function issuePortalToken({
  env,
  idOrUid,
  input,
  origin,
}: {
  env: Env;
  idOrUid: string;
  input: PortalAccessInput;
  origin: string;
}): Promise<{ url: string; token: string }> {
  const capabilities = capabilitiesOf(input);
  const app = await requireOrCreateApplication(env, idOrUid, input.application ?? null);
  const token = newPortalToken();
  const now = Date.now();
  await insertPortalToken(env.DB, {
    hash: await portalTokenHash(token),
    app_id: app.id,
    capabilities: JSON.stringify(capabilities),
    feature_flags: JSON.stringify(input.featureFlags ?? []),
    session_id: input.sessionId ?? null,
    created_at: now,
    expires_at: now + (input.expiry ?? PORTAL_TOKEN_DEFAULT_EXPIRY_S) * 1000,
  }).run();
  return { url: portalPageUrl(origin, app.id, token, capabilities), token };
}

/**
 * The portal page's url. The fragment also names the token's capabilities, so the page hides
 * the controls the token cannot use (the API refuses them regardless).
 */
export function portalPageUrl(
  origin: string,
  appId: string,
  token: string,
  caps: PortalCapability[],
): string {
  return `${origin}/portal#app=${encodeURIComponent(appId)}&token=${token}&capabilities=${caps.join(",")}`;
}

/** The live token stored under `hash`, as the auth middleware hands it to routes, or null. */
export async function findPortalAuth(env: Env, hash: string): Promise<PortalAuth | null> {
  const row = await findLivePortalToken(env.DB, hash, Date.now());
  if (!row) return null;
  return {
    kind: "portal",
    appId: row.app_id,
    appUid: row.app_uid,
    capabilities: parseJson<PortalCapability[]>(row.capabilities, []),
    featureFlags: parseJson<string[]>(row.feature_flags, []),
    tokenHash: row.hash,
  };
}

/** Ends the token at once (Svix's logout). */
export async function logoutPortalToken(db: D1Database, tokenHash: string): Promise<void> {
  await deletePortalToken(db, tokenHash).run();
}

/**
 * Ends the application's tokens (those of `sessionIds` when some are named) in `expiry` seconds,
 * at once by default; a token due to expire sooner keeps its earlier expiry.
 */
export async function expireAllPortalTokens({
  env,
  idOrUid,
  expiry,
  sessionIds,
}: {
  env: Env;
  idOrUid: string;
  expiry?: number | null;
  sessionIds?: string[];
}): Promise<void> {
  const app = await requireApplication(env.DB, idOrUid);
  const at = Date.now() + (expiry ?? 0) * 1000;
  await expireAppPortalTokens(env.DB, app.id, at, sessionIds?.length ? sessionIds : null).run();
}

/** The cron's share: deletes a bounded batch of expired tokens. */
export async function cleanupExpiredPortalTokens(env: Env): Promise<number> {
  const result = await deleteExpiredPortalTokens(env.DB, Date.now(), CLEANUP_BATCH).run();
  return result.meta.changes;
}
