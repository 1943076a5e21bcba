// idempotency_keys: one claimed or answered idempotency-key per (tenant, scope, key); see
// migrations/0004_idempotency.sql.
export interface IdempotencyRow {
  tenant: string;
  scope: string;
  key: string;
  request_hash: string;
  state: "running" | "done";
  claim: string;
  lease_until: number;
  status: number | null;
  content_type: string | null;
  body: string | null;
  created_at: number;
  expires_at: number;
}

export interface IdempotencyIdent {
  tenant: string;
  scope: string;
  key: string;
}

export interface NewClaim extends IdempotencyIdent {
  request_hash: string;
  claim: string;
  lease_until: number;
  now: number;
  expires_at: number;
}

const COLUMNS =
  "tenant, scope, key, request_hash, state, claim, lease_until, status, content_type, body, created_at, expires_at";

/**
 * Claims a key: inserts a running row, or takes over an existing one that has expired (any
 * request) or whose claim's lease ran out (the same request only: its first run died). Returns
 * the row's claim token afterwards; the caller holds the claim when it is the one it wrote.
 */
export function claimKey(db: D1Database, c: NewClaim): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO idempotency_keys (${COLUMNS})
       VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, NULL, NULL, NULL, ?7, ?8)
       ON CONFLICT (tenant, scope, key) DO UPDATE SET
         request_hash = excluded.request_hash, state = 'running', claim = excluded.claim,
         lease_until = excluded.lease_until, status = NULL, content_type = NULL, body = NULL,
         created_at = excluded.created_at, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= ?7
          OR (idempotency_keys.state = 'running' AND idempotency_keys.lease_until <= ?7
              AND idempotency_keys.request_hash = excluded.request_hash)
       RETURNING claim`,
    )
    .bind(c.tenant, c.scope, c.key, c.request_hash, c.claim, c.lease_until, c.now, c.expires_at);
}

/** Deletes at most `limit` expired keys, oldest first: each claim pays for a bounded cleanup. */
export function deleteExpiredKeys(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM idempotency_keys WHERE (tenant, scope, key) IN (
         SELECT tenant, scope, key FROM idempotency_keys WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
    )
    .bind(now, limit);
}

export function getKey(db: D1Database, id: IdempotencyIdent): Promise<IdempotencyRow | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM idempotency_keys WHERE tenant = ?1 AND scope = ?2 AND key = ?3`)
    .bind(id.tenant, id.scope, id.key)
    .first<IdempotencyRow>();
}

/** Stores the answer of a claimed key; a no-op when another request has taken the claim over. */
export function completeKey(
  db: D1Database,
  id: IdempotencyIdent,
  claim: string,
  answer: { status: number; content_type: string | null; body: string },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE idempotency_keys SET state = 'done', status = ?5, content_type = ?6, body = ?7
       WHERE tenant = ?1 AND scope = ?2 AND key = ?3 AND claim = ?4 AND state = 'running'`,
    )
    .bind(id.tenant, id.scope, id.key, claim, answer.status, answer.content_type, answer.body);
}

/** Frees a claimed key so that a retry runs the request again; a no-op for another's claim. */
export function releaseKey(db: D1Database, id: IdempotencyIdent, claim: string): D1PreparedStatement {
  return db
    .prepare(
      "DELETE FROM idempotency_keys WHERE tenant = ?1 AND scope = ?2 AND key = ?3 AND claim = ?4 AND state = 'running'",
    )
    .bind(id.tenant, id.scope, id.key, claim);
}
