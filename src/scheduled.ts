import { IDEMPOTENCY_WINDOW_MS } from "./db/message-keys";
import {
  deleteExpiredKeys,
  type PendingDelivery,
  pendingDeliveries,
  purgeExpiredPayloads,
} from "./db/sweeper";
import { INLINE_PAYLOAD_BYTES } from "./delivery/enqueue";
import { firstAttemptJob } from "./delivery/jobs";
import { idAt } from "./lib/ids";
import { enqueueDeliveries } from "./services/messages";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A delivery is "overdue" when it has no attempt row this long after its message was
 * committed. Normally the first attempt follows within seconds; the grace covers queue
 * backlog and consumer lag, because re-enqueueing a delivery whose original job is still
 * waiting in the queue only produces a duplicate job (dropped by the consumer once the
 * delivery has an attempt, but both copies may be sent if they run at the same time). Ten
 * minutes is far above normal lag and still small next to the retry schedule.
 */
export const SWEEP_GRACE_MS = 10 * MINUTE;
/**
 * Every tick checks the band of messages that crossed the grace since about the previous tick
 * (two minutes: one missed tick is tolerated). The band is kept narrow because a delivery that
 * is merely late (a queue backlog, a long rate-limit deferral) is re-enqueued at every tick it
 * is in the band: a wide band would multiply a backlog just when the queue is slowest...
 */
export const SWEEP_RECENT_BAND_MS = 2 * MINUTE;
/** ...and once an hour the whole window, for missed ticks and longer outages of the queue or the cron. */
export const SWEEP_WINDOW_MS = 36 * HOUR;
export const SWEEP_PAGE = 200;
export const SWEEP_MAX_PAGES = 5;

/** Payload retention is a whole number of days between these bounds (MessageIn.payloadRetentionPeriod). */
const RETENTION_DAYS = { min: 5, max: 90 };
/** Each tick purges messages that expired within this lookback (it tolerates missed ticks). */
export const PURGE_LOOKBACK_MS = 10 * MINUTE;
export const PURGE_LIMIT = 1000;
/**
 * The svix client sends an idempotency-key with every POST, so expect one key per message:
 * the hourly cleanup must keep up with an hour of traffic.
 */
export const KEY_PURGE_LIMIT = 50_000;

const isFullSweepTick = (time: number) => new Date(time).getUTCMinutes() === 0;

/** Re-enqueues deliveries committed at ingest whose job was lost (sendBatch failed after the commit). */
export async function sweepPendingDeliveries(env: Env, now: number): Promise<number> {
  const upper = now - SWEEP_GRACE_MS;
  const lower = upper - (isFullSweepTick(now) ? SWEEP_WINDOW_MS - SWEEP_GRACE_MS : SWEEP_RECENT_BAND_MS);
  let after: [string, string, string] | null = null;
  let total = 0;
  for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
    const { results } = await pendingDeliveries(env.DB, {
      fromId: idAt("msg", lower),
      toId: idAt("msg", upper),
      after,
      limit: SWEEP_PAGE,
      inlineBytes: INLINE_PAYLOAD_BYTES,
    }).all<PendingDelivery>();
    if (results.length === 0) break;
    const jobs = results.map((d) =>
      firstAttemptJob(
        {
          appId: d.app_id,
          msgId: d.msg_id,
          endpointId: d.endpoint_id,
          eventId: d.event_id,
          payload: d.payload,
        },
        0,
      ),
    );
    await enqueueDeliveries(env, jobs);
    total += jobs.length;
    const last = results[results.length - 1] as PendingDelivery;
    after = [last.app_id, last.msg_id, last.endpoint_id];
    if (results.length < SWEEP_PAGE) break;
  }
  if (total > 0) console.warn("sweeper re-enqueued overdue deliveries", total);
  return total;
}

/**
 * Purges payloads past their retention. A message created at c with R days expires at
 * c + R days, so the messages expiring in the last PURGE_LOOKBACK_MS sit in one narrow
 * creation band per possible R: the tick reads those bands only, not the whole table.
 */
export async function purgeExpired(env: Env, now: number): Promise<void> {
  const ranges: [string, string][] = [];
  for (let days = RETENTION_DAYS.min; days <= RETENTION_DAYS.max; days++) {
    const createdBy = now - days * DAY;
    ranges.push([idAt("msg", createdBy - PURGE_LOOKBACK_MS), idAt("msg", createdBy + 1)]);
  }
  const statements = [purgeExpiredPayloads(env.DB, { ranges, now, limit: PURGE_LIMIT })];
  // Idempotency keys have no time order in their key; their cleanup scans the keys of every
  // application, so it runs once an hour rather than every minute.
  if (isFullSweepTick(now))
    statements.push(deleteExpiredKeys(env.DB, now - IDEMPOTENCY_WINDOW_MS, KEY_PURGE_LIMIT));
  await env.DB.batch(statements);
}

/** The cron handler (every minute): sweeper, then purge; one failing does not stop the other. */
export async function runScheduled(env: Env, scheduledTime: number): Promise<void> {
  const outcomes = await Promise.allSettled([
    sweepPendingDeliveries(env, scheduledTime),
    purgeExpired(env, scheduledTime),
  ]);
  for (const o of outcomes) {
    if (o.status === "rejected")
      console.error("scheduled task failed", o.reason instanceof Error ? o.reason.message : o.reason);
  }
}
