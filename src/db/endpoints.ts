import { afterCursor } from "./cursor";

export interface EndpointRow {
  app_id: string;
  id: string;
  uid: string | null;
  url: string;
  description: string;
  /** JSON array of event type names, or null for all. */
  event_types: string | null;
  /** JSON array of channels, or null for all. */
  channels: string | null;
  throttle_rate: number | null;
  disabled: number;
  disabled_reason: string | null;
  metadata: string;
  /** Encrypted JSON SigningKeys (src/security/secrets.ts). */
  secrets: string;
  /** Encrypted JSON Record<string,string>, or null when there are no custom headers. */
  headers: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export const ENDPOINT_COLUMNS =
  "app_id, id, uid, url, description, event_types, channels, throttle_rate, disabled, disabled_reason, metadata, secrets, headers, failing_since, created_at, updated_at";

/** An endpoint of the given application by id or uid; another application's id reads as null. */
export function getEndpoint(db: D1Database, appId: string, idOrUid: string): Promise<EndpointRow | null> {
  return db
    .prepare(`SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE app_id = ?1 AND (id = ?2 OR uid = ?2) LIMIT 1`)
    .bind(appId, idOrUid)
    .first<EndpointRow>();
}

/** Every endpoint of an application: a log object's copy of its fan-out and delivery settings. */
export async function listAppEndpoints(db: D1Database, appId: string): Promise<EndpointRow[]> {
  const { results } = await db
    .prepare(`SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE app_id = ?1`)
    .bind(appId)
    .all<EndpointRow>();
  return results;
}

/** A page of an application's endpoints in id order, after `cursor` in the walking direction. */
export async function listEndpoints(
  db: D1Database,
  appId: string,
  opts: { cursor: string | null; direction: "ASC" | "DESC"; limit: number },
): Promise<EndpointRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE app_id = ?1 AND ${afterCursor(opts, "id", "?2")}
       ORDER BY id ${opts.direction} LIMIT ?3`,
    )
    .bind(appId, opts.cursor, opts.limit + 1)
    .all<EndpointRow>();
  return results;
}

/** The columns after (app_id, id) and before the timestamps, in column order: ?3..?14 of both writes. */
const settingValues = (row: EndpointRow) => [
  row.uid,
  row.url,
  row.description,
  row.event_types,
  row.channels,
  row.throttle_rate,
  row.disabled,
  row.disabled_reason,
  row.metadata,
  row.secrets,
  row.headers,
  row.failing_since,
];

export function insertEndpoint(db: D1Database, row: EndpointRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO endpoints (${ENDPOINT_COLUMNS})
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)`,
    )
    .bind(row.app_id, row.id, ...settingValues(row), row.created_at, row.updated_at);
}

/** Writes every mutable column of the row (callers read, change and write back the whole row). */
export function updateEndpoint(db: D1Database, row: EndpointRow): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE endpoints SET uid = ?3, url = ?4, description = ?5, event_types = ?6, channels = ?7,
         throttle_rate = ?8, disabled = ?9, disabled_reason = ?10, metadata = ?11, secrets = ?12,
         headers = ?13, failing_since = ?14, updated_at = ?15
       WHERE app_id = ?1 AND id = ?2`,
    )
    .bind(row.app_id, row.id, ...settingValues(row), row.updated_at);
}

/** Deletes an endpoint row; its attempts live in the log objects, which forget them in the background. */
export function deleteEndpoint(db: D1Database, appId: string, endpointId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM endpoints WHERE app_id = ?1 AND id = ?2").bind(appId, endpointId);
}
