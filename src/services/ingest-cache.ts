import { type ApplicationRow, getApplication } from "../db/applications";
import { eventTypeSchemas } from "../db/event-types";
import { parseJson } from "../lib/json";
import { type JsonSchema, latestSchema } from "./json-schema";

// What ingest needs from D1, kept per isolate so that a message's path reaches no central
// database in the common case:
// - the application an id or uid names. A stale entry cannot misroute a message: the log
//   object checks the uid against its own copy (invalidated by every application change) and
//   answers unknown_app, and the caller then asks D1 again.
// - the event type's latest JSON Schema, for SCHEMA_TTL_MS: a schema change applies at once in
//   the isolate that made it and within that time everywhere else.
const SCHEMA_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

const apps = new Map<string, Pick<ApplicationRow, "id" | "uid">>();
const schemas = new Map<string, { schema: JsonSchema | null; known: boolean; at: number }>();

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
}

/** The application an id or uid names, from the isolate's memory or D1. */
export async function cachedApplication(
  db: D1Database,
  idOrUid: string,
  fresh = false,
): Promise<Pick<ApplicationRow, "id" | "uid"> | null> {
  const hit = fresh ? undefined : apps.get(idOrUid);
  if (hit) return hit;
  const app = await getApplication(db, idOrUid);
  if (app) remember(apps, idOrUid, { id: app.id, uid: app.uid });
  else apps.delete(idOrUid);
  return app ? { id: app.id, uid: app.uid } : null;
}

export function forgetApplication(idOrUid: string): void {
  apps.delete(idOrUid);
  for (const [key, app] of apps) if (app.id === idOrUid || app.uid === idOrUid) apps.delete(key);
}

/** The event type's latest schema (null: none, or no such event type). */
export async function cachedSchema(
  db: D1Database,
  eventType: string,
  now = Date.now(),
): Promise<JsonSchema | null> {
  const hit = schemas.get(eventType);
  if (hit && now - hit.at < SCHEMA_TTL_MS) return hit.schema;
  const row = await eventTypeSchemas(db, eventType).first<{ schemas: string | null }>();
  const schema = latestSchema(parseJson<Record<string, unknown> | null>(row?.schemas, null));
  remember(schemas, eventType, { schema, known: row !== null, at: now });
  return schema;
}

export function forgetSchema(eventType: string): void {
  schemas.delete(eventType);
}
