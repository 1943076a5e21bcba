import { type Partitions, partitionOfId, partitionOfTime, tables } from "./partitions";
import type { MessageRow } from "./records";

// Statements over the msg_<day> and key_<day> tables of one log object.

export type KeyKind = "k" | "e";
/** Idempotency keys deduplicate for this long; eventIds for as long as their message lives. */
const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export type StoredMessage = Omit<MessageRow, "app_id">;
const COLUMNS =
  "id, event_type, event_id, channels, tags, payload, destinations, created_at, expires_at, deliver_at";

/** Payloads past their expiry read as gone even before the purge has run. */
function visible(row: StoredMessage, now: number): StoredMessage {
  return row.payload !== null && row.expires_at <= now ? { ...row, payload: null } : row;
}

export class MessageStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
  ) {}

  /** `purgeAt`: set when the payload expires before the message's day is dropped. */
  insert(row: StoredMessage, keys: { kind: KeyKind; key: string }[], purgeAt: number | null): void {
    const p = partitionOfId(row.id);
    this.parts.ensure(p);
    const t = tables(p);
    this.sql.exec(
      `INSERT INTO ${t.msg} (${COLUMNS}, purge_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.event_type,
      row.event_id,
      row.channels,
      row.tags,
      row.payload,
      row.destinations,
      row.created_at,
      row.expires_at,
      row.deliver_at,
      purgeAt,
    );
    for (const k of keys) {
      this.sql.exec(
        `INSERT OR REPLACE INTO ${t.key} (kind, key, msg_id, created_at) VALUES (?, ?, ?, ?)`,
        k.kind,
        k.key,
        row.id,
        row.created_at,
      );
    }
  }

  get(id: string, now: number): StoredMessage | null {
    const p = partitionOfId(id);
    if (!Number.isFinite(p) || !this.parts.has(p)) return null;
    const row = this.sql
      .exec<StoredMessage>(`SELECT ${COLUMNS} FROM ${tables(p).msg} WHERE id = ?`, id)
      .toArray()[0];
    return row ? visible(row, now) : null;
  }

  /**
   * The message a key names, newest day first. Idempotency keys only count within their 24 h
   * window (so only the last two days are read); eventIds for as long as the message lives.
   */
  findByKey(kind: KeyKind, key: string, now: number): StoredMessage | null {
    const partitions = this.parts.list();
    const oldest = kind === "k" ? partitionOfTime(now - IDEMPOTENCY_WINDOW_MS) : Number.NEGATIVE_INFINITY;
    for (let i = partitions.length - 1; i >= 0; i--) {
      const p = partitions[i] as number;
      if (p < oldest) break;
      const hit = this.sql
        .exec<{ msg_id: string; created_at: number }>(
          `SELECT msg_id, created_at FROM ${tables(p).key} WHERE kind = ? AND key = ?`,
          kind,
          key,
        )
        .toArray()[0];
      if (!hit) continue;
      if (kind === "k" && hit.created_at <= now - IDEMPOTENCY_WINDOW_MS) return null;
      return this.get(hit.msg_id, now);
    }
    return null;
  }

  /** A page of messages in id order within [fromId, toId), newest first for DESC. */
  list(filter: MessageFilter, direction: "ASC" | "DESC", limit: number, now: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    const where: string[] = [];
    const params: unknown[] = [];
    const lower = maxId(filter.fromId, direction === "ASC" ? filter.cursor : null);
    const upper = minId(filter.toId, direction === "DESC" ? filter.cursor : null);
    if (lower) {
      where.push(lower.inclusive ? "id >= ?" : "id > ?");
      params.push(lower.id);
    }
    if (upper) {
      where.push("id < ?");
      params.push(upper);
    }
    if (filter.eventTypes?.length) {
      where.push("event_type IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(filter.eventTypes));
    }
    if (filter.channel) {
      where.push("EXISTS (SELECT 1 FROM json_each(channels) WHERE value = ?)");
      params.push(filter.channel);
    }
    if (filter.tag) {
      where.push("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)");
      params.push(filter.tag);
    }
    if (filter.endpointId) {
      where.push("EXISTS (SELECT 1 FROM json_each(destinations) WHERE value = ?)");
      params.push(filter.endpointId);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const partitions = this.inRange(lower?.id ?? null, upper);
    if (direction === "DESC") partitions.reverse();
    for (const p of partitions) {
      const rows = this.sql
        .exec<StoredMessage>(
          `SELECT ${COLUMNS} FROM ${tables(p).msg} ${clause} ORDER BY id ${direction} LIMIT ?`,
          ...params,
          limit + 1 - out.length,
        )
        .toArray();
      for (const r of rows) out.push(visible(r, now));
      if (out.length > limit) break;
    }
    return out;
  }

  /** Partitions that may hold ids in [fromId, toId). */
  inRange(fromId: string | null, toId: string | null): number[] {
    const lo = fromId ? partitionOfId(fromId) : Number.NEGATIVE_INFINITY;
    const hi = toId ? partitionOfId(toId) : Number.POSITIVE_INFINITY;
    return this.parts.list().filter((p) => p >= lo && p <= hi);
  }

  expunge(id: string): boolean {
    const p = partitionOfId(id);
    if (!this.parts.has(p)) return false;
    return (
      this.sql.exec(`UPDATE ${tables(p).msg} SET payload = NULL, purge_at = NULL WHERE id = ?`, id)
        .rowsWritten > 0
    );
  }

  /** Purges payloads whose short retention has passed (the rest go with their day); at most `limit`. */
  purgeExpired(now: number, limit: number): number {
    let purged = 0;
    for (const p of this.parts.list()) {
      const t = tables(p).msg;
      purged += this.sql.exec(
        `UPDATE ${t} SET payload = NULL, purge_at = NULL
         WHERE id IN (SELECT id FROM ${t} WHERE purge_at IS NOT NULL AND purge_at <= ? LIMIT ?)`,
        now,
        limit - purged,
      ).rowsWritten;
      if (purged >= limit) break;
    }
    return purged;
  }

  /** The earliest short-retention purge still to do, or null. */
  nextPurge(): number | null {
    return this.parts.earliest("msg", "purge_at", 0);
  }

  /** Messages with id in [fromId, toId), ascending, not scheduled for later; at most `limit`. */
  scan(fromId: string, toId: string, limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const p of this.inRange(fromId, toId)) {
      const rows = this.sql
        .exec<StoredMessage>(
          `SELECT ${COLUMNS} FROM ${tables(p).msg} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`,
          fromId,
          toId,
          limit - out.length,
        )
        .toArray();
      out.push(...rows);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Scheduled messages whose time is in [from, to], by deliver_at. */
  scheduled(from: number, to: number, limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const p of this.parts.list()) {
      const rows = this.sql
        .exec<StoredMessage>(
          `SELECT ${COLUMNS} FROM ${tables(p).msg}
           WHERE deliver_at IS NOT NULL AND deliver_at >= ? AND deliver_at <= ? ORDER BY deliver_at LIMIT ?`,
          from,
          to,
          limit - out.length,
        )
        .toArray();
      out.push(...rows);
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => (a.deliver_at ?? 0) - (b.deliver_at ?? 0));
  }

  /** The earliest deliver_at after `after`, or null. */
  nextScheduled(after: number): number | null {
    return this.parts.earliest("msg", "deliver_at", after);
  }
}

export interface MessageFilter {
  /** Id bounds (inclusive lower, exclusive upper), from before/after. */
  fromId: string | null;
  toId: string | null;
  /** Continue after this id in the walking direction. */
  cursor: string | null;
  eventTypes: string[] | null;
  channel: string | null;
  tag: string | null;
  /** Only messages fanned out to this endpoint. */
  endpointId?: string | null;
}

function maxId(bound: string | null, cursor: string | null) {
  if (cursor && (!bound || cursor >= bound)) return { id: cursor, inclusive: false };
  return bound ? { id: bound, inclusive: true } : null;
}

function minId(bound: string | null, cursor: string | null): string | null {
  if (cursor && (!bound || cursor < bound)) return cursor;
  return bound;
}
