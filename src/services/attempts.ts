import { notFound } from "../errors";
import { idAt } from "../lib/ids";
import type { AttemptFilter } from "../log/attempt-store";
import { allShards } from "../log/client";
import type { MessageFilter } from "../log/message-store";
import type { EndpointMessage } from "../log/reads";
import type { AttemptRow, MessageRow } from "../log/records";
import { mergeById, messageLog, requireMessage } from "./messages";

// Reads of an application's deliveries: attempts by message and by endpoint, a message's
// destinations, an endpoint's messages and stats. Each is a range read of the log objects,
// merged over the shards in id order.

export type AttemptWithMessage = AttemptRow & { msg?: MessageRow | null };

export async function listAttemptsByMessage(
  env: Env,
  appId: string,
  msgIdOrEventId: string,
  filter: AttemptFilter,
  direction: "ASC" | "DESC",
  limit: number,
): Promise<AttemptRow[]> {
  const message = await requireMessage(env, appId, msgIdOrEventId);
  const log = messageLog(env, appId, message.id);
  return log.stub.attemptsByMessage(log.ident, message.id, filter, direction, limit);
}

export async function listAttemptsByEndpoint(
  env: Env,
  appId: string,
  endpointId: string,
  filter: AttemptFilter,
  direction: "ASC" | "DESC",
  limit: number,
  withMessage: boolean,
): Promise<AttemptWithMessage[]> {
  const shards = allShards(env, appId);
  const pages = await Promise.all(
    shards.map((l) => l.stub.attemptsByEndpoint(l.ident, endpointId, filter, direction, limit)),
  );
  const rows: AttemptWithMessage[] = mergeById(pages, direction, limit);
  if (!withMessage || rows.length === 0) return rows;
  const messages = new Map<string, MessageRow>();
  await Promise.all(
    shards.map(async (l) => {
      const ids = [...new Set(rows.map((r) => r.msg_id))].filter(
        (id) => messageLog(env, appId, id).ident.shard === l.ident.shard,
      );
      if (ids.length === 0) return;
      for (const m of await l.stub.getMessages(l.ident, ids)) messages.set(m.id, m);
    }),
  );
  return rows.map((r) => ({ ...r, msg: messages.get(r.msg_id) ?? null }));
}

export async function getAttempt(env: Env, appId: string, msgIdOrEventId: string, attemptId: string) {
  const message = await requireMessage(env, appId, msgIdOrEventId);
  const log = messageLog(env, appId, message.id);
  const attempt = await log.stub.getAttempt(log.ident, message.id, attemptId);
  if (!attempt) throw notFound("Message attempt");
  return attempt;
}

/** Deletes one attempt's response body (an endpoint answered with something sensitive). */
export async function expungeAttemptContent(
  env: Env,
  appId: string,
  msgIdOrEventId: string,
  attemptId: string,
) {
  const attempt = await getAttempt(env, appId, msgIdOrEventId, attemptId);
  const log = messageLog(env, appId, attempt.msg_id);
  await log.stub.expungeAttempt(log.ident, attempt.msg_id, attempt.id);
}

/** The message's destinations that still exist, with each delivery's state. */
export async function listDestinations(env: Env, appId: string, msgIdOrEventId: string) {
  const message = await requireMessage(env, appId, msgIdOrEventId);
  const log = messageLog(env, appId, message.id);
  return (await log.stub.destinations(log.ident, message.id)) ?? [];
}

/**
 * An endpoint's messages with the delivery's state, merged over the shards. A shard that read
 * its limit of messages without filling the page says where it stopped: the page then ends
 * there (done = false) and the iterator continues from that point.
 */
export async function listEndpointMessages(
  env: Env,
  appId: string,
  endpointId: string,
  filter: MessageFilter & { status?: number },
  direction: "ASC" | "DESC",
  limit: number,
): Promise<{ rows: EndpointMessage[]; stoppedAt: string | null }> {
  const results = await Promise.all(
    allShards(env, appId).map((l) => l.stub.endpointMessages(l.ident, endpointId, filter, direction, limit)),
  );
  const stops = results.flatMap((r) => (r.scannedTo ? [r.scannedTo] : []));
  // The page may only hold rows up to the nearest point where some shard stopped reading.
  const stoppedAt = stops.length ? (stops.sort()[direction === "DESC" ? stops.length - 1 : 0] ?? null) : null;
  let rows = mergeById(
    results.map((r) => r.rows),
    direction,
    limit,
  );
  if (stoppedAt) rows = rows.filter((r) => (direction === "DESC" ? r.id > stoppedAt : r.id < stoppedAt));
  return { rows, stoppedAt: rows.length > limit ? null : stoppedAt };
}

export async function endpointStats(
  env: Env,
  appId: string,
  endpointId: string,
  since: number,
  until: number,
) {
  const counts = await Promise.all(
    allShards(env, appId).map((l) =>
      l.stub.endpointStats(l.ident, endpointId, idAt("msg", since), idAt("msg", until)),
    ),
  );
  const sum = (status: 0 | 1 | 2 | 3) => counts.reduce((n, c) => n + (c[status] ?? 0), 0);
  return { success: sum(0), pending: sum(1), fail: sum(2), sending: sum(3), canceled: 0 };
}

const HOUR_MS = 3_600_000;

/**
 * An endpoint's delivery attempts per hour for the hours that [since, until) touches, oldest
 * first, with every hour present (zero when nothing was attempted): the portal's chart.
 */
export async function endpointHourlyStats(
  env: Env,
  appId: string,
  endpointId: string,
  since: number,
  until: number,
): Promise<{ hour: number; success: number; fail: number }[]> {
  const first = Math.floor(since / HOUR_MS);
  const last = Math.ceil(until / HOUR_MS);
  const shards = await Promise.all(
    allShards(env, appId).map((l) =>
      l.stub.endpointHourly(l.ident, endpointId, first * HOUR_MS, last * HOUR_MS),
    ),
  );
  const out: { hour: number; success: number; fail: number }[] = [];
  for (let h = first; h < last; h++) {
    let success = 0;
    let fail = 0;
    for (const counts of shards) {
      success += counts[h]?.[0] ?? 0;
      fail += counts[h]?.[1] ?? 0;
    }
    out.push({ hour: h * HOUR_MS, success, fail });
  }
  return out;
}
