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

/** The enabled endpoints of an application: the candidates for a new message's fan-out. */
export async function listEnabledEndpoints(db: D1Database, appId: string): Promise<EndpointRow[]> {
  const { results } = await db
    .prepare(`SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE app_id = ?1 AND disabled = 0`)
    .bind(appId)
    .all<EndpointRow>();
  return results;
}
