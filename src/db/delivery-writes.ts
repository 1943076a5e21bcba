// Endpoint updates made by the queue consumer from a health verdict, written in the same D1
// batch as the attempt rows of the queue batch.
export function setFailingSince(
  db: D1Database,
  appId: string,
  endpointId: string,
  failingSince: number | null,
): D1PreparedStatement {
  return db
    .prepare("UPDATE endpoints SET failing_since = ?3 WHERE app_id = ?1 AND id = ?2")
    .bind(appId, endpointId, failingSince);
}

/** Disables an enabled endpoint; `meta.changes` is 0 when it already was disabled (or is gone). */
export function disableEndpoint(
  db: D1Database,
  appId: string,
  endpointId: string,
  reason: string,
  failingSince: number | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE endpoints SET disabled = 1, disabled_reason = ?3, failing_since = ?4, updated_at = ?5
       WHERE app_id = ?1 AND id = ?2 AND disabled = 0`,
    )
    .bind(appId, endpointId, reason, failingSince, now);
}
