import { enqueueJobs, type Outgoing } from "../queue/enqueue";
import type { QueueJob } from "../queue/jobs";
import { MAX_QUEUE_DELAY_SECONDS } from "./retry";

/** What becomes of an operational webhook's queue message. */
export type Next =
  | { kind: "ack" }
  /** The same job again later (its notBefore has not come). */
  | { kind: "defer"; delaySeconds: number }
  /** A new job (the next attempt) is enqueued, then the message is acked. */
  | { kind: "follow"; job: QueueJob; delaySeconds: number };

export interface QueueResult {
  msg: Message<QueueJob>;
  job: QueueJob;
  next: Next;
}

/**
 * Queue retries are capped (max_retries in wrangler.toml): past this many deliveries of one
 * queue message, a deferral re-sends a fresh copy of the job instead of calling retry().
 */
export const REFRESH_AFTER_QUEUE_ATTEMPTS = 50;

const clampDelay = (s: number) => Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(s)));

/**
 * Acks or retries each operational webhook's queue message on its own. Follow-up jobs are
 * enqueued first; when that fails, the original message is retried instead, so an event is
 * never lost (at worst it is sent once more).
 */
export async function settle(queue: Queue, results: readonly QueueResult[]): Promise<void> {
  const outgoing: { result: QueueResult; item: Outgoing }[] = [];
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
