import { MessagePages } from "./message-pages";
import { type Partitions, partitionOfId, partitionOfTime, tables } from "./partitions";
import type { StoredMessage } from "./records";

// A log object's messages and keys: most messages packed in pages of mpage_<day>
// (message-pages.ts), scheduled messages and those whose payload is purged before their day is
// dropped as single rows of msg_<day> (their partial indexes drive the outbox and the purge),
// idempotency keys and eventIds as single rows of key_<day> (exact lookups). Reads merge pages
// and rows; callers see one list of messages.

export type KeyKind = "k" | "e";
/** Idempotency keys deduplicate for this long; eventIds for as long as their message lives. */
const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export type { StoredMessage } from "./records";

/** One message of a commit: its keys, and its purge time when it has one (see insert). */
export interface NewMessage {
  row: StoredMessage;
  keys: { kind: KeyKind; key: string }[];
  purgeAt: number | null;
}
const COLUMNS =
  "id, event_type, event_id, channels, tags, payload, destinations, created_at, expires_at, deliver_at";

/** Payloads past their expiry read as gone even before the purge has run. */
function visible(row: StoredMessage, now: number): StoredMessage {
  return row.payload !== null && row.expires_at <= now ? { ...row, payload: null } : row;
}

const ascending = (a: StoredMessage, b: StoredMessage) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class MessageStore {
  private readonly pages: MessagePages;

  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
  ) {
    this.pages = new MessagePages(sql, parts);
  }

  /** `purgeAt`: set when the payload expires before the message's day is dropped. */
  insert(row: StoredMessage, keys: { kind: KeyKind; key: string }[], purgeAt: number | null): void {
    this.insertMany([{ row, keys, purgeAt }]);
  }

  /**
   * Writes the messages of one commit: the plain ones as pages (one row for all of them in the
   * usual case), scheduled ones and those with a purge time as rows of their own; the keys
   * as rows. The caller makes it atomic (AppLog runs it in a transaction).
   */
  insertMany(messages: NewMessage[]): void {
    const paged: StoredMessage[] = [];
    for (const { row, keys, purgeAt } of messages) {
      const p = partitionOfId(row.id);
      this.parts.ensure(p);
      if (row.deliver_at === null && purgeAt === null) paged.push(row);
      else this.insertRow(row, purgeAt);
      for (const k of keys) {
        this.sql.exec(
          `INSERT OR REPLACE INTO ${tables(p).key} (kind, key, msg_id, created_at) VALUES (?, ?, ?, ?)`,
          k.kind,
          k.key,
          row.id,
          row.created_at,
        );
      }
    }
    this.pages.write(paged);
  }

  private insertRow(row: StoredMessage, purgeAt: number | null): void {
    const t = tables(partitionOfId(row.id));
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
  }

  get(id: string, now: number): StoredMessage | null {
    const p = partitionOfId(id);
    if (!Number.isFinite(p) || !this.parts.has(p)) return null;
    const row =
      this.pages.get(id) ??
      this.sql.exec<StoredMessage>(`SELECT ${COLUMNS} FROM ${tables(p).msg} WHERE id = ?`, id).toArray()[0];
    return row ? visible(row, now) : null;
  }

  /** Several messages by id (a consumer's claim), each page read and parsed once. */
  getMany(ids: readonly string[], now: number): Map<string, StoredMessage> {
    const out = this.pages.getMany(ids);
    for (const id of ids) {
      if (out.has(id)) continue;
      const row = this.get(id, now);
      if (row) out.set(id, row);
    }
    for (const [id, row] of out) out.set(id, visible(row, now));
    return out;
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

  /**
   * A page of messages in id order within [fromId, toId), newest first for DESC: the single rows
   * (each day's by id) and the paged ones (by bucket), merged; up to limit + 1 of them.
   */
  list(filter: MessageFilter, direction: "ASC" | "DESC", limit: number, now: number): StoredMessage[] {
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
    const want = limit + 1;
    const rows: StoredMessage[] = [];
    const partitions = this.inRange(lower?.id ?? null, upper);
    if (direction === "DESC") partitions.reverse();
    for (const p of partitions) {
      rows.push(
        ...this.sql
          .exec<StoredMessage>(
            `SELECT ${COLUMNS} FROM ${tables(p).msg} ${clause} ORDER BY id ${direction} LIMIT ?`,
            ...params,
            want - rows.length,
          )
          .toArray(),
      );
      if (rows.length >= want) break;
    }
    rows.push(...this.pages.walk({ lower, upper }, direction, want, (m) => matches(m, filter)));
    return this.merge(rows, direction, want).map((m) => visible(m, now));
  }

  /** The first `want` of rows and pages' messages (each already in order), by id. */
  private merge(rows: StoredMessage[], direction: "ASC" | "DESC", want: number): StoredMessage[] {
    rows.sort(ascending);
    if (direction === "DESC") rows.reverse();
    return rows.slice(0, want);
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
      this.pages.expunge(id) ||
      this.sql.exec(`UPDATE ${tables(p).msg} SET payload = NULL, purge_at = NULL WHERE id = ?`, id)
        .rowsWritten > 0
    );
  }

  /**
   * Purges payloads whose short retention has passed; at most `limit`. Only single rows have a
   * purge time: a paged message's payload expires within a day of its day being dropped, is
   * hidden by reads after its expiry and goes with the day.
   */
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

  /** Messages with id in [fromId, toId), ascending (scheduled ones included); at most `limit`. */
  scan(fromId: string, toId: string, limit: number): StoredMessage[] {
    const rows: StoredMessage[] = [];
    for (const p of this.inRange(fromId, toId)) {
      rows.push(
        ...this.sql
          .exec<StoredMessage>(
            `SELECT ${COLUMNS} FROM ${tables(p).msg} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`,
            fromId,
            toId,
            limit - rows.length,
          )
          .toArray(),
      );
      if (rows.length >= limit) break;
    }
    rows.push(
      ...this.pages.walk({ lower: { id: fromId, inclusive: true }, upper: toId }, "ASC", limit, () => true),
    );
    return this.merge(rows, "ASC", limit);
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

const listed = (json: string | null) => (json ? (JSON.parse(json) as string[]) : []);

/** Whether a message passes a listing's filters (the SQL conditions of list, for paged messages). */
function matches(m: StoredMessage, f: MessageFilter): boolean {
  if (f.eventTypes?.length && !f.eventTypes.includes(m.event_type)) return false;
  if (f.channel && !listed(m.channels).includes(f.channel)) return false;
  if (f.tag && !listed(m.tags).includes(f.tag)) return false;
  if (f.endpointId && !listed(m.destinations).includes(f.endpointId)) return false;
  return true;
}

function maxId(bound: string | null, cursor: string | null) {
  if (cursor && (!bound || cursor >= bound)) return { id: cursor, inclusive: false };
  return bound ? { id: bound, inclusive: true } : null;
}

function minId(bound: string | null, cursor: string | null): string | null {
  if (cursor && (!bound || cursor < bound)) return cursor;
  return bound;
}
