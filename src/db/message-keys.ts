// message_keys: idempotency keys ('k', the idempotency-key header) and eventIds ('e'), written
// only when the sender supplies one. The primary key (app_id, kind, key) is what makes two
// concurrent creations with the same key conflict: the second batch fails as a whole.
export type KeyKind = "k" | "e";

/** Idempotency keys and eventIds deduplicate for this long. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export function findMessageKey(
  db: D1Database,
  appId: string,
  kind: KeyKind,
  key: string,
): D1PreparedStatement {
  return db
    .prepare("SELECT msg_id, created_at FROM message_keys WHERE app_id = ?1 AND kind = ?2 AND key = ?3")
    .bind(appId, kind, key);
}

/** Clears a key older than the window, so that reusing it later creates a new message. */
export function deleteStaleKey(
  db: D1Database,
  appId: string,
  kind: KeyKind,
  key: string,
  now: number,
): D1PreparedStatement {
  return db
    .prepare("DELETE FROM message_keys WHERE app_id = ?1 AND kind = ?2 AND key = ?3 AND created_at <= ?4")
    .bind(appId, kind, key, now - IDEMPOTENCY_WINDOW_MS);
}

export function insertMessageKey(
  db: D1Database,
  row: { app_id: string; kind: KeyKind; key: string; msg_id: string; created_at: number },
): D1PreparedStatement {
  return db
    .prepare("INSERT INTO message_keys (app_id, kind, key, msg_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
    .bind(row.app_id, row.kind, row.key, row.msg_id, row.created_at);
}
