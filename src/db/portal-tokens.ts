// portal_tokens: app-portal access tokens, by the SHA-256 of the token (never the token); see
// migrations/0008_portal_tokens.sql.
export interface PortalTokenRow {
  hash: string;
  app_id: string;
  /** JSON array of capability names. */
  capabilities: string;
  /** JSON array of feature flags. */
  feature_flags: string;
  session_id: string | null;
  created_at: number;
  expires_at: number;
}

/** A live token joined with its application's current uid (a renamed uid still matches). */
export interface PortalTokenGrant extends PortalTokenRow {
  app_uid: string | null;
}

const COLUMNS = "hash, app_id, capabilities, feature_flags, session_id, created_at, expires_at";

export function insertPortalToken(db: D1Database, row: PortalTokenRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO portal_tokens (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`)
    .bind(
      row.hash,
      row.app_id,
      row.capabilities,
      row.feature_flags,
      row.session_id,
      row.created_at,
      row.expires_at,
    );
}

/** The unexpired token with this hash whose application still exists, or null. */
export function findLivePortalToken(
  db: D1Database,
  hash: string,
  now: number,
): Promise<PortalTokenGrant | null> {
  return db
    .prepare(
      `SELECT t.hash, t.app_id, t.capabilities, t.feature_flags, t.session_id, t.created_at, t.expires_at,
              a.uid AS app_uid
       FROM portal_tokens t JOIN applications a ON a.id = t.app_id
       WHERE t.hash = ?1 AND t.expires_at > ?2`,
    )
    .bind(hash, now)
    .first<PortalTokenGrant>();
}

export function deletePortalToken(db: D1Database, hash: string): D1PreparedStatement {
  return db.prepare("DELETE FROM portal_tokens WHERE hash = ?1").bind(hash);
}

/**
 * Makes an application's tokens expire at `expiresAt` at the latest; with session ids, only the
 * tokens of those sessions (the ids travel as one JSON parameter, as D1 binds at most 100).
 */
export function expireAppPortalTokens(
  db: D1Database,
  appId: string,
  expiresAt: number,
  sessionIds: string[] | null,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE portal_tokens SET expires_at = MIN(expires_at, ?2)
       WHERE app_id = ?1 AND (?3 IS NULL OR session_id IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(appId, expiresAt, sessionIds ? JSON.stringify(sessionIds) : null);
}

export function deleteAppPortalTokens(db: D1Database, appId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM portal_tokens WHERE app_id = ?1").bind(appId);
}

/** Deletes at most `limit` expired tokens, oldest expiry first. */
export function deleteExpiredPortalTokens(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM portal_tokens WHERE hash IN (
         SELECT hash FROM portal_tokens WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
    )
    .bind(now, limit);
}
