// attempts: one row per HTTP attempt; the latest row of a (message, endpoint) pair is the
// delivery's state. Status values are Svix's MessageStatus.
export const STATUS = { success: 0, pending: 1, fail: 2, sending: 3 } as const;
export type AttemptStatus = (typeof STATUS)[keyof typeof STATUS];
export const STATUS_TEXT = ["success", "pending", "fail", "sending"] as const;

export interface AttemptRow {
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  id: string;
  url: string;
  status: number;
  /** 0 when no HTTP response was received. */
  response_status_code: number;
  response: string;
  response_duration_ms: number;
  trigger_type: number;
  next_attempt_at: number | null;
  created_at: number;
}

export const ATTEMPT_COLUMNS =
  "app_id, msg_id, endpoint_id, id, url, status, response_status_code, response, response_duration_ms, trigger_type, next_attempt_at, created_at";

export function insertAttempt(db: D1Database, row: AttemptRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO attempts (${ATTEMPT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`,
    )
    .bind(
      row.app_id,
      row.msg_id,
      row.endpoint_id,
      row.id,
      row.url,
      row.status,
      row.response_status_code,
      row.response,
      row.response_duration_ms,
      row.trigger_type,
      row.next_attempt_at,
      row.created_at,
    );
}

export function getAttempt(db: D1Database, appId: string, msgId: string, id: string) {
  return db
    .prepare(`SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE app_id = ?1 AND msg_id = ?2 AND id = ?3`)
    .bind(appId, msgId, id)
    .first<AttemptRow>();
}

export interface AttemptFilter {
  msgId?: string;
  endpointId?: string;
  status?: number;
  /** 0 = no response, 100..500 = the status code's class. */
  statusCodeClass?: number;
  /** Attempt id bounds (inclusive lower, exclusive upper), from before/after. */
  fromId?: string | null;
  toId?: string | null;
  /** Pagination: continue after this attempt id in the walking direction. */
  cursor?: string | null;
}

/** Attempts of one application, newest first unless `direction` says otherwise. */
export async function listAttempts(
  db: D1Database,
  appId: string,
  f: AttemptFilter,
  direction: "ASC" | "DESC",
  limit: number,
): Promise<AttemptRow[]> {
  const clauses = ["app_id = ?1"];
  const params: unknown[] = [appId];
  const bind = (v: unknown) => {
    params.push(v);
    return `?${params.length}`;
  };
  if (f.msgId) clauses.push(`msg_id = ${bind(f.msgId)}`);
  if (f.endpointId) clauses.push(`endpoint_id = ${bind(f.endpointId)}`);
  if (f.status !== undefined) clauses.push(`status = ${bind(f.status)}`);
  if (f.statusCodeClass !== undefined) {
    clauses.push(
      f.statusCodeClass === 0
        ? "response_status_code = 0"
        : `response_status_code >= ${bind(f.statusCodeClass)} AND response_status_code < ${bind(f.statusCodeClass + 100)}`,
    );
  }
  if (f.fromId) clauses.push(`id >= ${bind(f.fromId)}`);
  if (f.toId) clauses.push(`id < ${bind(f.toId)}`);
  if (f.cursor) clauses.push(`id ${direction === "ASC" ? ">" : "<"} ${bind(f.cursor)}`);
  const { results } = await db
    .prepare(
      `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE ${clauses.join(" AND ")}
       ORDER BY id ${direction} LIMIT ${Math.floor(limit) + 1}`,
    )
    .bind(...params)
    .all<AttemptRow>();
  return results;
}

/** SQL expression: the latest attempt's `column` for the delivery (m.id, `endpointParam`). */
export const latestAttempt = (column: string, endpointExpr: string) =>
  `(SELECT t.${column} FROM attempts t WHERE t.app_id = m.app_id AND t.msg_id = m.id
     AND t.endpoint_id = ${endpointExpr} ORDER BY t.id DESC LIMIT 1)`;
