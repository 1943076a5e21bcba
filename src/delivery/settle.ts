import { enqueueJobs, type Outgoing } from "./enqueue";
import type { Result } from "./outcome";
import { MAX_QUEUE_DELAY_SECONDS } from "./retry";

/**
 * Queue retries are capped (max_retries in wrangler.toml) and rate-limit deferrals consume
 * them too: past this many deliveries of one queue message, a deferral re-sends a fresh copy
 * of the job instead of calling retry(), so a patient delivery never reaches the DLQ.
 */
export const REFRESH_AFTER_QUEUE_ATTEMPTS = 50;

const clampDelay = (s: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(s)));

/**
 * Acks or retries each queue message on its own, after the batch's D1 write committed. New
 * jobs (next attempts, refreshed deferrals) are enqueued first; when that fails, the original
 * message is retried instead, so a delivery is never lost (at worst it makes one extra attempt).
 */
export async function settle(queue: Queue, results: readonly Result[]): Promise<void> {
  const outgoing: { result: Result; item: Outgoing }[] = [];
  for (const result of results) {
    const { msg, next } = result;
    if (next.kind === "ack") msg.ack();
    else if (next.kind === "follow") {
      outgoing.push({ result, item: { job: next.job, delaySeconds: clampDelay(next.delaySeconds) } });
    } else if (msg.attempts >= REFRESH_AFTER_QUEUE_ATTEMPTS) {
      outgoing.push({ result, item: { job: result.job, delaySeconds: clampDelay(next.delaySeconds) } });
    } else {
      msg.retry({ delaySeconds: clampDelay(next.delaySeconds) });
    }
  }
  if (outgoing.length === 0) return;
  const failed = new Set(
    await enqueueJobs(
      queue,
      outgoing.map((o) => o.item),
    ),
  );
  outgoing.forEach(({ result, item }, i) => {
    if (failed.has(i)) result.msg.retry({ delaySeconds: item.delaySeconds ?? 0 });
    else result.msg.ack();
  });
}
