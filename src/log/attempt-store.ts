import { idAt, idTime } from "../lib/ids";
import { AttemptPages } from "./attempt-pages";
import { type Partitions, partitionOfId, partitionStart, tables } from "./partitions";
import type { AttemptRow } from "./records";

const HOUR_MS = 3_600_000;

// A log object's attempts: those waiting for a retry (and the ones before them) as single rows
// of att_<day>, every other one packed in pages (attempt-pages.ts). Both live in the
// message's day. Reads merge the two; callers see one list of attempts.
const COLUMNS =
  "msg_id, endpoint_id, id, url, status, response_status_code, response, response_duration_ms, trigger_type, next_attempt_at, created_at";

export interface AttemptFilter {
  endpointId?: string;
  status?: number;
  /** 0 = no response, 100..500 = the status code's class. */
  statusCodeClass?: number;
  /** Attempt id bounds (inclusive lower, exclusive upper), from before/after. */
  fromId?: string | null;
  toId?: string | null;
  /** Continue after this attempt id in the walking direction. */
  cursor?: string | null;
  /** Filters on the attempt's message. */
  eventTypes?: string[] | null;
  channel?: string | null;
  tag?: string | null;
}

const A_COLUMNS = COLUMNS.split(", ")
  .map((c) => `a.${c}`)
  .join(", ");

/** The SQL conditions of a filter's attempt-level conditions over att_<day> a. */
function whereOf(f: AttemptFilter, direction: "ASC" | "DESC") {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (f.endpointId) add("a.endpoint_id = ?", f.endpointId);
  if (f.status !== undefined) add("a.status = ?", f.status);
  if (f.statusCodeClass !== undefined) {
    if (f.statusCodeClass === 0) add("a.response_status_code = 0");
    else
      add(
        "a.response_status_code >= ? AND a.response_status_code < ?",
        f.statusCodeClass,
        f.statusCodeClass + 100,
      );
  }
  if (f.fromId) add("a.id >= ?", f.fromId);
  if (f.toId) add("a.id < ?", f.toId);
  if (f.cursor) add(`a.id ${direction === "ASC" ? ">" : "<"} ?`, f.cursor);
  return { where, params };
}

type MessageFields = { id: string; event_type: string; channels: string | null; tags: string | null };

const byId = (a: AttemptRow, b: AttemptRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Whether an attempt passes a filter's attempt-level conditions. */
function passes(a: AttemptRow, f: AttemptFilter, direction: "ASC" | "DESC"): boolean {
  if (f.endpointId && a.endpoint_id !== f.endpointId) return false;
  if (f.status !== undefined && a.status !== f.status) return false;
  if (f.statusCodeClass !== undefined) {
    const code = a.response_status_code;
    if (f.statusCodeClass === 0 ? code !== 0 : code < f.statusCodeClass || code >= f.statusCodeClass + 100)
      return false;
  }
  if (f.fromId && a.id < f.fromId) return false;
  if (f.toId && a.id >= f.toId) return false;
  if (f.cursor && (direction === "ASC" ? a.id <= f.cursor : a.id >= f.cursor)) return false;
  return true;
}

const listed = (json: string | null) => (json ? (JSON.parse(json) as string[]) : []);

function messagePasses(m: MessageFields | undefined, f: AttemptFilter): boolean {
  if (!f.eventTypes?.length && !f.channel && !f.tag) return true;
  if (!m) return false;
  if (f.eventTypes?.length && !f.eventTypes.includes(m.event_type)) return false;
  if (f.channel && !listed(m.channels).includes(f.channel)) return false;
  if (f.tag && !listed(m.tags).includes(f.tag)) return false;
  return true;
}

export class AttemptStore {
  private readonly pages: AttemptPages;

  /** `message`: a message by id (the message-level filters read its fields). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
    private readonly message: (id: string) => MessageFields | null,
  ) {
    this.pages = new AttemptPages(sql, parts);
  }

  /**
   * Records one report's attempts; returns those that were new (a repeated report of an attempt
   * id changes nothing). A delivery's earlier attempts stop waiting for a retry: only its
   * latest attempt may.
   */
  insertAll(rows: AttemptRow[]): AttemptRow[] {
    const fresh = rows.filter((a) => this.get(a.msg_id, a.id) === null).sort(byId);
    for (const [i, row] of fresh.entries()) {
      // An attempt reported after a later one of its delivery (a slow consumer) waits for nothing.
      const later = this.latest(row.msg_id, row.endpoint_id);
      const a = later && later.id > row.id ? { ...row, next_attempt_at: null } : row;
      fresh[i] = a;
      const p = partitionOfId(a.msg_id);
      this.parts.ensure(p);
      const t = tables(p).att;
      if (a.next_attempt_at !== null) {
        this.sql.exec(
          `INSERT OR IGNORE INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          a.msg_id,
          a.endpoint_id,
          a.id,
          a.url,
          a.status,
          a.response_status_code,
          a.response,
          a.response_duration_ms,
          a.trigger_type,
          a.next_attempt_at,
          a.created_at,
        );
      }
      this.sql.exec(
        `UPDATE ${t} SET next_attempt_at = NULL
         WHERE msg_id = ? AND endpoint_id = ? AND id < ? AND next_attempt_at IS NOT NULL`,
        a.msg_id,
        a.endpoint_id,
        a.id,
      );
    }
    this.pages.write(fresh.filter((a) => a.next_attempt_at === null));
    return fresh;
  }

  /** Single-row attempts of one message (optionally one endpoint), in id order. */
  private rowsOf(msgId: string, endpointId?: string): AttemptRow[] {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return [];
    return this.sql
      .exec<AttemptRow>(
        `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE msg_id = ? ${endpointId ? "AND endpoint_id = ?" : ""} ORDER BY id`,
        msgId,
        ...(endpointId ? [endpointId] : []),
      )
      .toArray();
  }

  /** Every attempt of one message (optionally one endpoint), in id order. */
  ofMessage(msgId: string, endpointId?: string): AttemptRow[] {
    if (!this.parts.has(partitionOfId(msgId))) return [];
    return [...this.rowsOf(msgId, endpointId), ...this.pages.forMessages(msgId, msgId, endpointId)].sort(
      byId,
    );
  }

  latest(msgId: string, endpointId: string): AttemptRow | null {
    return this.ofMessage(msgId, endpointId).at(-1) ?? null;
  }

  /** The latest attempt of each endpoint the message was attempted to. */
  latestOfMessage(msgId: string): Map<string, AttemptRow> {
    const out = new Map<string, AttemptRow>();
    for (const a of this.ofMessage(msgId)) out.set(a.endpoint_id, a);
    return out;
  }

  /** Which (message, endpoint) pairs among messages in [fromId, toId] have an attempt: "msg|endpoint". */
  attemptedBetween(fromId: string, toId: string): Set<string> {
    const out = new Set<string>();
    for (const a of this.pages.forMessages(fromId, toId)) out.add(`${a.msg_id}|${a.endpoint_id}`);
    for (const p of this.parts.list()) {
      if (p < partitionOfId(fromId) || p > partitionOfId(toId)) continue;
      const rows = this.sql
        .exec<{ msg_id: string; endpoint_id: string }>(
          `SELECT DISTINCT msg_id, endpoint_id FROM ${tables(p).att} WHERE msg_id >= ? AND msg_id <= ?`,
          fromId,
          toId,
        )
        .toArray();
      for (const r of rows) out.add(`${r.msg_id}|${r.endpoint_id}`);
    }
    return out;
  }

  /**
   * Failed attempts in a row at the end of the delivery's current run (the step of the retry
   * schedule reached). A run ends at a success or where the trigger changes: a manual resend
   * starts its own run at the first step.
   */
  failuresInARow(msgId: string, endpointId: string): number {
    const rows = this.ofMessage(msgId, endpointId).reverse();
    const trigger = rows[0]?.trigger_type;
    const end = rows.findIndex((r) => r.status === 0 || r.trigger_type !== trigger);
    return end === -1 ? rows.length : end;
  }

  get(msgId: string, id: string): AttemptRow | null {
    return this.ofMessage(msgId).find((a) => a.id === id) ?? null;
  }

  expungeResponse(msgId: string, id: string): boolean {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return false;
    const t = tables(p).att;
    const written = this.sql.exec(
      `UPDATE ${t} SET response = '' WHERE msg_id = ? AND id = ?`,
      msgId,
      id,
    ).rowsWritten;
    return written > 0 || this.pages.expungeResponse(msgId, id);
  }

  /** The message fields the message-level filters read, for these message ids. */
  private messagesOf(ids: string[]): Map<string, MessageFields> {
    const out = new Map<string, MessageFields>();
    for (const id of new Set(ids)) {
      const m = this.message(id);
      if (m) out.set(id, m);
    }
    return out;
  }

  private finish(
    rows: AttemptRow[],
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ): AttemptRow[] {
    const kept = rows.filter((a) => passes(a, f, direction));
    const messages =
      f.eventTypes?.length || f.channel || f.tag ? this.messagesOf(kept.map((a) => a.msg_id)) : null;
    const out = messages ? kept.filter((a) => messagePasses(messages.get(a.msg_id), f)) : kept;
    out.sort(byId);
    if (direction === "DESC") out.reverse();
    return out.slice(0, limit + 1);
  }

  /** A message's attempts (one day's tables). */
  listByMessage(msgId: string, f: AttemptFilter, direction: "ASC" | "DESC", limit: number): AttemptRow[] {
    return this.finish(this.ofMessage(msgId, f.endpointId), f, direction, limit);
  }

  /**
   * An endpoint's attempts in attempt-id order: the single rows by each day's (endpoint_id, id)
   * index, the packed ones by its pages' (endpoint_id, max_id) index, merged. A day whose
   * messages are younger than the upper bound cannot hold older attempts, so a DESC walk
   * skips those days.
   */
  listByEndpoint(
    endpointId: string,
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ): AttemptRow[] {
    const upper = [f.toId, direction === "DESC" ? f.cursor : null]
      .filter((x): x is string => Boolean(x))
      .sort()[0];
    const lower = [f.fromId, direction === "ASC" ? f.cursor : null]
      .filter((x): x is string => Boolean(x))
      .sort()
      .at(-1);
    const rows: AttemptRow[] = [];
    const { where, params } = whereOf({ ...f, endpointId }, direction);
    const messages = new Map<string, MessageFields | undefined>();
    const messageOf = (id: string) => {
      if (!messages.has(id)) messages.set(id, this.messagesOf([id]).get(id));
      return messages.get(id);
    };
    for (const p of this.parts.list()) {
      if (upper && partitionStart(p) > idTime(upper)) continue;
      // Read in chunks: message-level filters apply after the read.
      const found: AttemptRow[] = [];
      let after: string | null = null;
      for (;;) {
        const chunk: AttemptRow[] = this.sql
          .exec<AttemptRow>(
            `SELECT ${A_COLUMNS} FROM ${tables(p).att} a
             WHERE ${[...where, ...(after ? [`a.id ${direction === "ASC" ? ">" : "<"} ?`] : [])].join(" AND ")}
             ORDER BY a.id ${direction} LIMIT ?`,
            ...params,
            ...(after ? [after] : []),
            limit + 1,
          )
          .toArray();
        found.push(...chunk.filter((a) => messagePasses(messageOf(a.msg_id), f)));
        if (chunk.length < limit + 1 || found.length >= limit + 1) break;
        after = chunk[chunk.length - 1]?.id ?? null;
      }
      rows.push(...found);
    }
    const keep = (a: AttemptRow) => passes(a, f, direction) && messagePasses(messageOf(a.msg_id), f);
    rows.push(
      ...this.pages.forEndpoint(endpointId, {
        lower: lower ?? null,
        upper: upper ?? null,
        direction,
        want: limit + 1,
        keep,
      }),
    );
    return this.finish(rows, f, direction, limit);
  }

  /** Latest attempts waiting for a retry whose time is at or before `until`. */
  due(until: number, limit: number): AttemptRow[] {
    const out: AttemptRow[] = [];
    for (const p of this.parts.list()) {
      const rows = this.sql
        .exec<AttemptRow>(
          `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?
           ORDER BY next_attempt_at LIMIT ?`,
          until,
          limit - out.length,
        )
        .toArray();
      out.push(...rows);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The earliest retry time after `after`, or null. */
  nextDue(after: number): number | null {
    return this.parts.earliest("att", "next_attempt_at", after);
  }

  /** Deletes up to `limit` attempt rows and pages of a deleted endpoint; the number deleted. */
  forgetEndpoint(endpointId: string, limit: number): number {
    const deleted = this.parts.deleteEndpointRows("att", "msg_id, endpoint_id, id", endpointId, limit);
    return deleted >= limit ? deleted : deleted + this.pages.forgetEndpoint(endpointId, limit - deleted);
  }

  /**
   * An endpoint's attempts made in [from, to) counted per hour of attempt time: success
   * (status 0) and every other outcome. Reads the endpoint's rows of each day's attempt table by
   * its (endpoint_id, id) index and the pages made since `from` (the portal's delivery chart).
   */
  hourlyCounts(endpointId: string, from: number, to: number): Record<number, [number, number]> {
    const fromId = idAt("atmpt", from);
    const toId = idAt("atmpt", to);
    const counts: Record<number, [number, number]> = {};
    const count = (id: string, status: number) => {
      const hour = Math.floor(idTime(id) / HOUR_MS);
      const bucket = counts[hour] ?? [0, 0];
      bucket[status === 0 ? 0 : 1]++;
      counts[hour] = bucket;
    };
    for (const p of this.parts.list()) {
      const rows = this.sql
        .exec<{ id: string; status: number }>(
          `SELECT id, status FROM ${tables(p).att} WHERE endpoint_id = ? AND id >= ? AND id < ?`,
          endpointId,
          fromId,
          toId,
        )
        .toArray();
      for (const r of rows) count(r.id, r.status);
    }
    for (const a of this.pages.forEndpointSince(endpointId, fromId)) {
      if (a.id >= fromId && a.id < toId) count(a.id, a.status);
    }
    return counts;
  }

  /** An endpoint's latest attempt per message, for messages created in [fromId, toId). */
  latestByEndpoint(endpointId: string, fromId: string, toId: string): AttemptRow[] {
    const latest = new Map<string, AttemptRow>();
    const rows: AttemptRow[] = [];
    for (const p of this.parts.list()) {
      if (partitionStart(p + 1) <= idTime(fromId) || partitionStart(p) > idTime(toId)) continue;
      rows.push(
        ...this.sql
          .exec<AttemptRow>(
            `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE endpoint_id = ? AND msg_id >= ? AND msg_id < ?`,
            endpointId,
            fromId,
            toId,
          )
          .toArray(),
      );
    }
    // Attempts are never older than their message: the endpoint's pages from fromId on.
    rows.push(
      ...this.pages.forEndpointSince(endpointId, fromId).filter((a) => a.msg_id >= fromId && a.msg_id < toId),
    );
    for (const r of rows.sort(byId)) latest.set(r.msg_id, r);
    return [...latest.values()];
  }
}
