import type { KeyKind } from "./message-keys";
import { IDEMPOTENCY_WINDOW_MS } from "./message-keys";
import type { MessageRow } from "./messages";

// Ingest in ONE D1 round trip for the common case. D1 runs one query at a time per database,
// so every round trip on the ingest path costs throughput: instead of reading the application,
// its endpoints and the event type and then writing, one batch resolves the application, fans
// out in SQL (the same filters as endpointMatches in services/messages.ts) and inserts the
// message with its destinations, RETURNING them. Each statement is conditional, so the batch
// writes nothing when the slow path must decide instead: unknown application, an event type
// with a JSON Schema to validate against, or an idempotency key / eventId seen within 24 h.

export interface FastIngest {
  /** The message to insert; app_id is ignored (resolved from appIdOrUid in SQL). */
  message: Omit<MessageRow, "app_id" | "destinations">;
  appIdOrUid: string;
  /** At most one key: with two, one could be taken and the other not. */
  key: { kind: KeyKind; key: string } | null;
}

const APP = "(SELECT id FROM applications WHERE id = ?1 OR uid = ?1 LIMIT 1)";
const NO_SCHEMA = "NOT EXISTS (SELECT 1 FROM event_types t WHERE t.name = ?3 AND t.schemas IS NOT NULL)";

const FANOUT = `(SELECT json_group_array(e.id) FROM endpoints e
   WHERE e.app_id = a.id AND e.disabled = 0
     AND (e.event_types IS NULL OR json_array_length(e.event_types) = 0
          OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE value = ?3))
     AND (e.channels IS NULL OR json_array_length(e.channels) = 0
          OR EXISTS (SELECT 1 FROM json_each(e.channels) c JOIN json_each(?5) m ON c.value = m.value)))`;

/** The statements of the one-round-trip ingest; the last one RETURNs {app_id, destinations} when it inserted. */
export function fastIngestStatements(db: D1Database, input: FastIngest, now: number): D1PreparedStatement[] {
  const m = input.message;
  // ?1 app id or uid, ?2 message id, ?3 event type, ?4 event id, ?5 channels, ?6 tags,
  // ?7 payload, ?8 created_at, ?9 expires_at, ?10 key kind, ?11 key, ?12 stale-key cutoff
  const params = [
    input.appIdOrUid,
    m.id,
    m.event_type,
    m.event_id,
    m.channels,
    m.tags,
    m.payload,
    m.created_at,
    m.expires_at,
    input.key?.kind ?? null,
    input.key?.key ?? null,
    now - IDEMPOTENCY_WINDOW_MS,
  ];
  // Numbered parameters: each statement binds up to the highest index it uses.
  const upTo = (n: number) => params.slice(0, n);
  const statements: D1PreparedStatement[] = [];
  let keyTaken = "";
  if (input.key) {
    statements.push(
      db
        .prepare(
          `DELETE FROM message_keys
           WHERE app_id = ${APP} AND kind = ?10 AND key = ?11 AND created_at <= ?12`,
        )
        .bind(...upTo(12)),
      db
        .prepare(
          `INSERT INTO message_keys (app_id, kind, key, msg_id, created_at)
           SELECT a.id, ?10, ?11, ?2, ?8 FROM applications a
           WHERE (a.id = ?1 OR a.uid = ?1) AND ${NO_SCHEMA}
           ON CONFLICT DO NOTHING`,
        )
        .bind(...upTo(11)),
    );
    keyTaken = `AND EXISTS (SELECT 1 FROM message_keys k
      WHERE k.app_id = a.id AND k.kind = ?10 AND k.key = ?11 AND k.msg_id = ?2)`;
  }
  statements.push(
    db
      .prepare(
        `INSERT INTO messages (app_id, id, event_type, event_id, channels, tags, payload, destinations, created_at, expires_at)
         SELECT a.id, ?2, ?3, ?4, ?5, ?6, ?7, ${FANOUT}, ?8, ?9 FROM applications a
         WHERE (a.id = ?1 OR a.uid = ?1) AND ${NO_SCHEMA} ${keyTaken}
         LIMIT 1
         RETURNING app_id, destinations`,
      )
      .bind(...upTo(input.key ? 11 : 9)),
  );
  return statements;
}
