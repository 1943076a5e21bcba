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
  /** Edgehook: 1 when the endpoint opts in to the egress relays (EGRESS_RELAY_MODE=opt-in). */
  egress_relay: number;
  created_at: number;
  updated_at: number;
  /** The mTLS certificate binding its deliveries present (src/delivery/mtls.ts), or null. */
  mtls_certificate: string | null;
}

export const ENDPOINT_COLUMNS =
  "app_id, id, uid, url, description, event_types, channels, throttle_rate, disabled, disabled_reason, metadata, secrets, headers, failing_since, egress_relay, created_at, updated_at, mtls_certificate";

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

/** The columns after (app_id, id) and before the timestamps, in column order: ?3..?15 of the insert. */
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
  row.egress_relay,
];

export function insertEndpoint(db: D1Database, row: EndpointRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO endpoints (${ENDPOINT_COLUMNS})
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)`,
    )
    .bind(row.app_id, row.id, ...settingValues(row), row.created_at, row.updated_at, row.mtls_certificate);
}

/**
 * The columns a settings write (PUT, PATCH) may change. The ciphertexts are not among them: they
 * change only by compare-and-set (swapEndpointCiphertext), so a settings write racing a secret
 * rotation cannot put the old secret back.
 */
const SETTING_COLUMNS = [
  "uid",
  "url",
  "description",
  "event_types",
  "channels",
  "throttle_rate",
  "metadata",
  "disabled",
  "disabled_reason",
  "failing_since",
  "egress_relay",
  "mtls_certificate",
] as const satisfies readonly (keyof EndpointRow)[];

export type EndpointSettings = Partial<Pick<EndpointRow, (typeof SETTING_COLUMNS)[number]>>;

/**
 * Writes only the settings given (undefined leaves a column as it is) and answers the row as
 * committed. With `whileDisabled` the write is a compare-and-set on the disabled flag, for a
 * change computed from it. `.first()` reads null when the endpoint is gone or the flag changed.
 */
export function updateEndpointSettings(
  db: D1Database,
  appId: string,
  endpointId: string,
  settings: EndpointSettings,
  opts: { now: number; whileDisabled?: number },
): D1PreparedStatement {
  const columns = SETTING_COLUMNS.filter((c) => settings[c] !== undefined);
  const sets = columns.map((c, i) => `${c} = ?${i + 4}`);
  const guarded = opts.whileDisabled !== undefined;
  const guard = guarded ? ` AND disabled = ?${columns.length + 4}` : "";
  return db
    .prepare(
      `UPDATE endpoints SET ${[...sets, "updated_at = ?3"].join(", ")}
       WHERE app_id = ?1 AND id = ?2${guard} RETURNING ${ENDPOINT_COLUMNS}`,
    )
    .bind(
      appId,
      endpointId,
      opts.now,
      ...columns.map((c) => settings[c]),
      ...(guarded ? [opts.whileDisabled] : []),
    );
}

/**
 * Replaces one ciphertext column if it still holds `expected` (compare-and-set; `IS` compares
 * nulls too): `meta.changes` is 0 when another write replaced it since it was read, or the
 * endpoint is gone. Read-modify-write of secrets and headers goes through here.
 */
export function swapEndpointCiphertext(
  db: D1Database,
  appId: string,
  endpointId: string,
  column: "secrets" | "headers",
  change: { expected: string | null; value: string | null; now: number },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE endpoints SET ${column} = ?4, updated_at = ?5 WHERE app_id = ?1 AND id = ?2 AND ${column} IS ?3`,
    )
    .bind(appId, endpointId, change.expected, change.value, change.now);
}

/** Deletes an endpoint row; its attempts live in the log objects, which forget them in the background. */
export function deleteEndpoint(db: D1Database, appId: string, endpointId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM endpoints WHERE app_id = ?1 AND id = ?2").bind(appId, endpointId);
}
