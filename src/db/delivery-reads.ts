import { ENDPOINT_COLUMNS, type EndpointRow } from "./endpoints";

// Reads of the delivery path, as prepared statements so that callers can put several into
// one D1 batch (one round trip). D1 binds at most 100 parameters per statement.
export const MAX_BINDS = 100;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (n: number, from = 2) => Array.from({ length: n }, (_, i) => `?${i + from}`).join(", ");

/** Fan-out candidates: an application's enabled endpoints, with just the filter columns. */
export interface FanoutEndpoint {
  id: string;
  event_types: string | null;
  channels: string | null;
}

export function enabledEndpointFilters(db: D1Database, appId: string): D1PreparedStatement {
  return db
    .prepare("SELECT id, event_types, channels FROM endpoints WHERE app_id = ?1 AND disabled = 0")
    .bind(appId);
}

export function eventTypeSchemas(db: D1Database, name: string): D1PreparedStatement {
  return db.prepare("SELECT schemas FROM event_types WHERE name = ?1").bind(name);
}

/** Endpoints of one application by id (at most MAX_BINDS - 1 ids). */
export function endpointsByIds(db: D1Database, appId: string, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE app_id = ?1 AND id IN (${placeholders(ids.length)})`,
    )
    .bind(appId, ...ids);
}

export type { EndpointRow };

export interface AppThrottle {
  id: string;
  uid: string | null;
  throttle_rate: number | null;
}

export function applicationsByIds(db: D1Database, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(`SELECT id, uid, throttle_rate FROM applications WHERE id IN (${placeholders(ids.length, 1)})`)
    .bind(...ids);
}

export interface PayloadRow {
  id: string;
  event_id: string | null;
  payload: string | null;
}

export function payloadsByIds(db: D1Database, appId: string, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT id, event_id, payload FROM messages WHERE app_id = ?1 AND id IN (${placeholders(ids.length)})`,
    )
    .bind(appId, ...ids);
}

/** Those of these messages whose payload was expunged or purged (their jobs may still carry it inline). */
export function expungedMessages(db: D1Database, appId: string, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT id FROM messages WHERE app_id = ?1 AND id IN (${placeholders(ids.length)}) AND payload IS NULL`,
    )
    .bind(appId, ...ids);
}

/** Deliveries among these messages that already have an attempt row. */
export function attemptedDeliveries(
  db: D1Database,
  appId: string,
  msgIds: readonly string[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT DISTINCT msg_id, endpoint_id FROM attempts WHERE app_id = ?1 AND msg_id IN (${placeholders(msgIds.length)})`,
    )
    .bind(appId, ...msgIds);
}
