import { afterCursor } from "./cursor";

// Event types are global (not per application), as in Svix: one catalogue per deployment.
export interface EventTypeRow {
  name: string;
  description: string;
  archived: number;
  deprecated: number;
  /** Deprecated singular flag; mirrors the first of feature_flags. */
  feature_flag: string | null;
  /** JSON array of feature flags, or null. */
  feature_flags: string | null;
  group_name: string | null;
  /** JSON object: version -> JSON Schema, or null. */
  schemas: string | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS =
  "name, description, archived, deprecated, feature_flag, feature_flags, group_name, schemas, created_at, updated_at";

export function getEventType(db: D1Database, name: string): Promise<EventTypeRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM event_types WHERE name = ?1`).bind(name).first<EventTypeRow>();
}

/** The event type's schemas column, for ingest's validation and send-example. */
export function eventTypeSchemas(db: D1Database, name: string): D1PreparedStatement {
  return db.prepare("SELECT schemas FROM event_types WHERE name = ?1").bind(name);
}

export async function listEventTypes(
  db: D1Database,
  opts: {
    cursor: string | null;
    direction: "ASC" | "DESC";
    limit: number;
    includeArchived: boolean;
    /** Only the types whose feature flags are all among these (an app-portal token's); null: all. */
    featureFlags?: string[] | null;
  },
): Promise<EventTypeRow[]> {
  const archived = opts.includeArchived ? "1=1" : "archived = 0";
  const flags = opts.featureFlags ? JSON.stringify(opts.featureFlags) : null;
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM event_types WHERE ${afterCursor(opts, "name", "?1")} AND ${archived}
       AND (?3 IS NULL OR (
         (feature_flag IS NULL OR feature_flag IN (SELECT value FROM json_each(?3)))
         AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(feature_flags, '[]')) f
                         WHERE f.value NOT IN (SELECT value FROM json_each(?3)))))
       ORDER BY name ${opts.direction} LIMIT ?2`,
    )
    .bind(opts.cursor, opts.limit + 1, flags)
    .all<EventTypeRow>();
  return results;
}

/**
 * Which of `names` are active (not archived) event types. The names travel as one JSON
 * parameter: D1 binds at most 100 parameters per statement, and an endpoint may name up to
 * ENDPOINT_EVENT_TYPES_MAX (api/limits.ts) in one statement this way.
 */
export async function findActiveEventTypeNames(db: D1Database, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const { results } = await db
    .prepare("SELECT name FROM event_types WHERE archived = 0 AND name IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(names))
    .all<{ name: string }>();
  return new Set(results.map((r) => r.name));
}

/** The columns between name and the timestamps, in column order: ?2..?8 of both writes. */
const settingValues = (row: EventTypeRow) => [
  row.description,
  row.archived,
  row.deprecated,
  row.feature_flag,
  row.feature_flags,
  row.group_name,
  row.schemas,
];

export function insertEventType(db: D1Database, row: EventTypeRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO event_types (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`)
    .bind(row.name, ...settingValues(row), row.created_at, row.updated_at);
}

export function updateEventType(db: D1Database, row: EventTypeRow): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE event_types SET description = ?2, archived = ?3, deprecated = ?4, feature_flag = ?5,
        feature_flags = ?6, group_name = ?7, schemas = ?8, updated_at = ?9 WHERE name = ?1`,
    )
    .bind(row.name, ...settingValues(row), row.updated_at);
}

export function deleteEventType(db: D1Database, name: string): D1PreparedStatement {
  return db.prepare("DELETE FROM event_types WHERE name = ?1").bind(name);
}
