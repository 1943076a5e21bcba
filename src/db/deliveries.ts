import { latestAttempt } from "./attempts";
import { M_COLUMNS, type MessageFilter, type MessageRow, messageWhere } from "./messages";

// A delivery is a (message, endpoint) pair listed in the message's destinations; its state is
// its latest attempt row, or pending when it has none yet.
export interface DeliveryState {
  endpoint_id: string;
  status: number;
  next_attempt_at: number | null;
}

/** The latest attempt of each of these deliveries of one message (the first MAX_BINDS - 3 ids). */
export async function latestAttemptsOfMessage(
  db: D1Database,
  appId: string,
  msgId: string,
  endpointIds: readonly string[],
): Promise<Map<string, DeliveryState>> {
  const latest = new Map<string, DeliveryState>();
  if (endpointIds.length === 0) return latest;
  const params = endpointIds.map((_, i) => `?${i + 3}`).join(", ");
  const { results } = await db
    .prepare(
      `SELECT endpoint_id, status, next_attempt_at FROM attempts
       WHERE app_id = ?1 AND msg_id = ?2 AND endpoint_id IN (${params}) ORDER BY id`,
    )
    .bind(appId, msgId, ...endpointIds)
    .all<DeliveryState>();
  for (const row of results) latest.set(row.endpoint_id, row);
  return latest;
}

export type EndpointMessageRow = MessageRow & { d_status: number | null; d_next: number | null };

/** An endpoint's messages (those listing it as a destination) with the delivery's latest state. */
export async function listEndpointMessages(
  db: D1Database,
  appId: string,
  endpointId: string,
  filter: MessageFilter & { status?: number },
  direction: "ASC" | "DESC",
  limit: number,
): Promise<EndpointMessageRow[]> {
  const where = messageWhere({ ...filter, endpointId, direction });
  const endpointParam = `?${where.params.length + 2}`;
  const status = `COALESCE(${latestAttempt("status", endpointParam)}, 1)`;
  const statusParam = `?${where.params.length + 3}`;
  const { results } = await db
    .prepare(
      `SELECT ${M_COLUMNS}, ${status} AS d_status, ${latestAttempt("next_attempt_at", endpointParam)} AS d_next
       FROM messages m WHERE ${where.sql} ${filter.status === undefined ? "" : `AND ${status} = ${statusParam}`}
       ORDER BY m.id ${direction} LIMIT ${Math.floor(limit) + 1}`,
    )
    .bind(appId, ...where.params, endpointId, ...(filter.status === undefined ? [] : [filter.status]))
    .all<EndpointMessageRow>();
  return results;
}

/** Counts of an endpoint's deliveries by latest status, for messages created in [fromId, toId). */
export async function endpointStatusCounts(
  db: D1Database,
  appId: string,
  endpointId: string,
  fromId: string,
  toId: string,
): Promise<Map<number, number>> {
  const { results } = await db
    .prepare(
      `SELECT COALESCE(${latestAttempt("status", "?2")}, 1) AS status, COUNT(*) AS n
       FROM messages m
       WHERE m.app_id = ?1 AND m.id >= ?3 AND m.id < ?4
         AND EXISTS (SELECT 1 FROM json_each(m.destinations) d WHERE d.value = ?2)
       GROUP BY 1`,
    )
    .bind(appId, endpointId, fromId, toId)
    .all<{ status: number; n: number }>();
  return new Map(results.map((r) => [r.status, r.n]));
}

export interface FailedDelivery {
  id: string;
  event_id: string | null;
  payload: string | null;
}

/** An endpoint's deliveries whose latest attempt failed, for messages in [fromId, toId), after `cursor`. */
export async function failedDeliveries(
  db: D1Database,
  appId: string,
  endpointId: string,
  range: { fromId: string; toId: string; cursor: string | null; limit: number; inlineBytes: number },
): Promise<FailedDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT m.id, m.event_id, CASE WHEN length(CAST(m.payload AS BLOB)) <= ?6 THEN m.payload END AS payload
       FROM messages m
       WHERE m.app_id = ?1 AND m.id >= ?3 AND m.id < ?4 AND m.id > ?5
         AND EXISTS (SELECT 1 FROM json_each(m.destinations) d WHERE d.value = ?2)
         AND ${latestAttempt("status", "?2")} = 2
       ORDER BY m.id LIMIT ?7`,
    )
    .bind(appId, endpointId, range.fromId, range.toId, range.cursor ?? "", range.inlineBytes, range.limit)
    .all<FailedDelivery>();
  return results;
}
