// Scheduled maintenance queries. They walk the primary keys: applications, then each
// application's messages by id range (ids are time-ordered, see src/lib/ids.ts idAt), so
// each tick reads only the time window it cares about, never the whole table.

/** A delivery committed at ingest that has no attempt row yet. */
export interface PendingDelivery {
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  event_id: string | null;
  /** The payload when small enough to travel inline, else null. */
  payload: string | null;
}

export function pendingDeliveries(
  db: D1Database,
  opts: {
    fromId: string;
    toId: string;
    after: [string, string, string] | null;
    limit: number;
    inlineBytes: number;
  },
): D1PreparedStatement {
  const [appId, msgId, endpointId] = opts.after ?? ["", "", ""];
  return db
    .prepare(
      `SELECT m.app_id, m.id AS msg_id, d.value AS endpoint_id, m.event_id,
              CASE WHEN length(CAST(m.payload AS BLOB)) <= ?7 THEN m.payload END AS payload
       FROM applications a
       JOIN messages m ON m.app_id = a.id AND m.id >= ?1 AND m.id < ?2
       JOIN json_each(m.destinations) d
       -- A deleted endpoint keeps its id in destinations but will never get an attempt row.
       JOIN endpoints e ON e.app_id = m.app_id AND e.id = d.value
       WHERE (m.app_id, m.id, d.value) > (?3, ?4, ?5)
         AND NOT EXISTS (SELECT 1 FROM attempts t
                         WHERE t.app_id = m.app_id AND t.msg_id = m.id AND t.endpoint_id = d.value)
       ORDER BY m.app_id, m.id, d.value
       LIMIT ?6`,
    )
    .bind(opts.fromId, opts.toId, appId, msgId, endpointId, opts.limit, opts.inlineBytes);
}

/**
 * Sets payload NULL on expired messages created inside any of `ranges` ([fromId, toId) id
 * pairs, passed as one JSON parameter since D1 binds at most 100); at most `limit` rows.
 */
export function purgeExpiredPayloads(
  db: D1Database,
  opts: { ranges: [string, string][]; now: number; limit: number },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE messages SET payload = NULL WHERE (app_id, id) IN (
         SELECT m.app_id, m.id
         FROM applications a
         JOIN (SELECT json_extract(value, '$[0]') AS lo, json_extract(value, '$[1]') AS hi FROM json_each(?1)) r
         JOIN messages m ON m.app_id = a.id AND m.id >= r.lo AND m.id < r.hi
         WHERE m.payload IS NOT NULL AND m.expires_at <= ?2
         LIMIT ?3)`,
    )
    .bind(JSON.stringify(opts.ranges), opts.now, opts.limit);
}

/** Deletes idempotency keys ('k') past the 24 h window; eventIds ('e') stay for lookups. */
export function deleteExpiredKeys(db: D1Database, before: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM message_keys WHERE (app_id, kind, key) IN (
         SELECT k.app_id, k.kind, k.key FROM applications a
         JOIN message_keys k ON k.app_id = a.id AND k.kind = 'k'
         WHERE k.created_at < ?1 LIMIT ?2)`,
    )
    .bind(before, limit);
}
