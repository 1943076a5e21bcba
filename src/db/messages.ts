// messages: one row per message; `destinations` is the committed list of its deliveries.
export interface MessageRow {
  app_id: string;
  id: string;
  event_type: string;
  event_id: string | null;
  /** JSON array, or null. */
  channels: string | null;
  /** JSON array, or null. */
  tags: string | null;
  /** The payload as JSON text; null once expunged or purged. */
  payload: string | null;
  /** JSON array of endpoint ids. */
  destinations: string;
  created_at: number;
  expires_at: number;
}

export const MESSAGE_COLUMNS =
  "app_id, id, event_type, event_id, channels, tags, payload, destinations, created_at, expires_at";
/** The same columns qualified with the alias `m`, for joins. */
export const M_COLUMNS = MESSAGE_COLUMNS.split(", ")
  .map((c) => `m.${c}`)
  .join(", ");

export function insertMessage(db: D1Database, row: MessageRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`)
    .bind(
      row.app_id,
      row.id,
      row.event_type,
      row.event_id,
      row.channels,
      row.tags,
      row.payload,
      row.destinations,
      row.created_at,
      row.expires_at,
    );
}

export function getMessage(db: D1Database, appId: string, id: string): Promise<MessageRow | null> {
  return db
    .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE app_id = ?1 AND id = ?2`)
    .bind(appId, id)
    .first<MessageRow>();
}

/** A message by id, or else by eventId (Svix accepts either where a message id goes). */
export function getMessageByIdOrEventId(db: D1Database, appId: string, idOrEventId: string) {
  return db
    .prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE app_id = ?1 AND id = COALESCE(
         (SELECT id FROM messages WHERE app_id = ?1 AND id = ?2),
         (SELECT msg_id FROM message_keys WHERE app_id = ?1 AND kind = 'e' AND key = ?2))`,
    )
    .bind(appId, idOrEventId)
    .first<MessageRow>();
}

export interface MessageFilter {
  /** Id bounds (inclusive lower, exclusive upper), from before/after and the cursor. */
  fromId: string | null;
  toId: string | null;
  eventTypes: string[] | null;
  channel: string | null;
  /** Only messages delivered to this endpoint. */
  endpointId?: string | null;
  /** Pagination: continue after this id in the walking direction. */
  cursor?: string | null;
  direction?: "ASC" | "DESC";
}

/** Builds the WHERE clause of a message listing; binds start at ?2 (?1 is the app id). */
export function messageWhere(f: MessageFilter): { sql: string; params: unknown[] } {
  const clauses = ["m.app_id = ?1"];
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `?${params.length + 1}`;
  };
  if (f.fromId) clauses.push(`m.id >= ${bind(f.fromId)}`);
  if (f.toId) clauses.push(`m.id < ${bind(f.toId)}`);
  if (f.cursor) clauses.push(`m.id ${f.direction === "ASC" ? ">" : "<"} ${bind(f.cursor)}`);
  if (f.eventTypes?.length) clauses.push(`m.event_type IN (${f.eventTypes.map(bind).join(", ")})`);
  if (f.channel)
    clauses.push(`EXISTS (SELECT 1 FROM json_each(m.channels) c WHERE c.value = ${bind(f.channel)})`);
  if (f.endpointId) {
    clauses.push(`EXISTS (SELECT 1 FROM json_each(m.destinations) d WHERE d.value = ${bind(f.endpointId)})`);
  }
  return { sql: clauses.join(" AND "), params };
}

export async function listMessages(
  db: D1Database,
  appId: string,
  filter: MessageFilter,
  direction: "ASC" | "DESC",
  limit: number,
): Promise<MessageRow[]> {
  const where = messageWhere({ ...filter, direction });
  const { results } = await db
    .prepare(
      `SELECT ${M_COLUMNS} FROM messages m WHERE ${where.sql}
       ORDER BY m.id ${direction} LIMIT ${Math.floor(limit) + 1}`,
    )
    .bind(appId, ...where.params)
    .all<MessageRow>();
  return results;
}

export function expungePayload(db: D1Database, appId: string, id: string): D1PreparedStatement {
  return db.prepare("UPDATE messages SET payload = NULL WHERE app_id = ?1 AND id = ?2").bind(appId, id);
}
