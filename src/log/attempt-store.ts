import { type Partitions, partitionOfId, partitionStart, tables } from "./partitions";
import type { AttemptRow } from "./records";

// Statements over the att_<day> tables of one log object. An attempt lives in its message's
// day, so every read by message goes to one table; reads by endpoint merge the days.
const COLUMNS =
  "msg_id, endpoint_id, id, url, status, response_status_code, response, response_duration_ms, trigger_type, next_attempt_at, created_at";
const A_COLUMNS = COLUMNS.split(", ")
  .map((c) => `a.${c}`)
  .join(", ");

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
  if (f.eventTypes?.length)
    add("m.event_type IN (SELECT value FROM json_each(?))", JSON.stringify(f.eventTypes));
  if (f.channel) add("EXISTS (SELECT 1 FROM json_each(m.channels) WHERE value = ?)", f.channel);
  if (f.tag) add("EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = ?)", f.tag);
  const joinsMessage = Boolean(f.eventTypes?.length || f.channel || f.tag);
  return { where, params, joinsMessage };
}

export class AttemptStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly parts: Partitions,
  ) {}

  /**
   * Records an attempt (a repeated report of the same attempt id changes nothing) and clears
   * the retry time of the delivery's earlier attempts: only a delivery's latest attempt waits.
   */
  insert(a: AttemptRow): boolean {
    const p = partitionOfId(a.msg_id);
    this.parts.ensure(p);
    const t = tables(p).att;
    const written = this.sql.exec(
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
    ).rowsWritten;
    if (written === 0) return false;
    this.sql.exec(
      `UPDATE ${t} SET next_attempt_at = NULL
       WHERE msg_id = ? AND endpoint_id = ? AND id < ? AND next_attempt_at IS NOT NULL`,
      a.msg_id,
      a.endpoint_id,
      a.id,
    );
    return true;
  }

  latest(msgId: string, endpointId: string): AttemptRow | null {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return null;
    return (
      this.sql
        .exec<AttemptRow>(
          `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE msg_id = ? AND endpoint_id = ? ORDER BY id DESC LIMIT 1`,
          msgId,
          endpointId,
        )
        .toArray()[0] ?? null
    );
  }

  /** The latest attempt of each endpoint the message was attempted to. */
  latestOfMessage(msgId: string): Map<string, AttemptRow> {
    const p = partitionOfId(msgId);
    const out = new Map<string, AttemptRow>();
    if (!this.parts.has(p)) return out;
    const rows = this.sql
      .exec<AttemptRow>(
        `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE msg_id = ? ORDER BY endpoint_id, id`,
        msgId,
      )
      .toArray();
    for (const r of rows) out.set(r.endpoint_id, r);
    return out;
  }

  /**
   * Failed attempts in a row at the end of the delivery's current run (the step of the retry
   * schedule reached). A run ends at a success or where the trigger changes: a manual resend
   * starts its own run at the first step.
   */
  failuresInARow(msgId: string, endpointId: string): number {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return 0;
    const rows = this.sql
      .exec<{ status: number; trigger_type: number }>(
        `SELECT status, trigger_type FROM ${tables(p).att} WHERE msg_id = ? AND endpoint_id = ? ORDER BY id DESC LIMIT 64`,
        msgId,
        endpointId,
      )
      .toArray();
    const trigger = rows[0]?.trigger_type;
    const end = rows.findIndex((r) => r.status === 0 || r.trigger_type !== trigger);
    return end === -1 ? rows.length : end;
  }

  get(msgId: string, id: string): AttemptRow | null {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return null;
    return (
      this.sql
        .exec<AttemptRow>(`SELECT ${COLUMNS} FROM ${tables(p).att} WHERE msg_id = ? AND id = ?`, msgId, id)
        .toArray()[0] ?? null
    );
  }

  expungeResponse(msgId: string, id: string): boolean {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return false;
    return (
      this.sql.exec(`UPDATE ${tables(p).att} SET response = '' WHERE msg_id = ? AND id = ?`, msgId, id)
        .rowsWritten > 0
    );
  }

  /** A message's attempts (one table: the message's day). */
  listByMessage(msgId: string, f: AttemptFilter, direction: "ASC" | "DESC", limit: number): AttemptRow[] {
    const p = partitionOfId(msgId);
    if (!this.parts.has(p)) return [];
    const { where, params } = whereOf(f, direction);
    const t = tables(p);
    return this.sql
      .exec<AttemptRow>(
        `SELECT ${A_COLUMNS} FROM ${t.att} a JOIN ${t.msg} m ON m.id = a.msg_id
         WHERE a.msg_id = ? ${where.length ? `AND ${where.join(" AND ")}` : ""}
         ORDER BY a.id ${direction} LIMIT ?`,
        msgId,
        ...params,
        limit + 1,
      )
      .toArray();
  }

  /**
   * An endpoint's attempts in attempt-id order: a range read of each day's (endpoint_id, id)
   * index, merged. A day whose messages are younger than the cursor cannot hold older attempts
   * (an attempt is never older than its message), so a DESC walk skips those days.
   */
  listByEndpoint(
    endpointId: string,
    f: AttemptFilter,
    direction: "ASC" | "DESC",
    limit: number,
  ): AttemptRow[] {
    const { where, params, joinsMessage } = whereOf({ ...f, endpointId }, direction);
    const upper = [f.toId, direction === "DESC" ? f.cursor : null]
      .filter((x): x is string => Boolean(x))
      .sort()[0];
    const merged: AttemptRow[] = [];
    for (const p of this.parts.list()) {
      if (upper && partitionStart(p) > idMs(upper)) continue;
      const t = tables(p);
      const rows = this.sql
        .exec<AttemptRow>(
          `SELECT ${A_COLUMNS} FROM ${t.att} a ${joinsMessage ? `JOIN ${t.msg} m ON m.id = a.msg_id` : ""}
           WHERE ${where.join(" AND ")} ORDER BY a.id ${direction} LIMIT ?`,
          ...params,
          limit + 1,
        )
        .toArray();
      merged.push(...rows);
    }
    merged.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (direction === "DESC") merged.reverse();
    return merged.slice(0, limit + 1);
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
    let next: number | null = null;
    for (const p of this.parts.list()) {
      const row = this.sql
        .exec<{ at: number | null }>(
          `SELECT MIN(next_attempt_at) AS at FROM ${tables(p).att} WHERE next_attempt_at IS NOT NULL AND next_attempt_at > ?`,
          after,
        )
        .toArray()[0];
      if (row?.at != null && (next === null || row.at < next)) next = row.at;
    }
    return next;
  }

  /** Deletes up to `limit` attempts of a deleted endpoint; the number deleted. */
  forgetEndpoint(endpointId: string, limit: number): number {
    let deleted = 0;
    for (const p of this.parts.list()) {
      const t = tables(p).att;
      deleted += this.sql.exec(
        `DELETE FROM ${t} WHERE (msg_id, endpoint_id, id) IN
           (SELECT msg_id, endpoint_id, id FROM ${t} WHERE endpoint_id = ? LIMIT ?)`,
        endpointId,
        limit - deleted,
      ).rowsWritten;
      if (deleted >= limit) break;
    }
    return deleted;
  }

  /** An endpoint's latest attempt per message, for messages created in [fromId, toId). */
  latestByEndpoint(endpointId: string, fromId: string, toId: string): AttemptRow[] {
    const latest = new Map<string, AttemptRow>();
    for (const p of this.parts.list()) {
      if (partitionStart(p + 1) <= idMs(fromId) || partitionStart(p) > idMs(toId)) continue;
      const rows = this.sql
        .exec<AttemptRow>(
          `SELECT ${COLUMNS} FROM ${tables(p).att} WHERE endpoint_id = ? AND msg_id >= ? AND msg_id < ? ORDER BY id`,
          endpointId,
          fromId,
          toId,
        )
        .toArray();
      for (const r of rows) latest.set(r.msg_id, r);
    }
    return [...latest.values()];
  }
}

import { idTime } from "../lib/ids";

const idMs = (id: string) => idTime(id);
