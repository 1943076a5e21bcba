import { insertAttempt, STATUS } from "../db/attempts";
import { chunk, type EndpointRow, endpointsByIds, MAX_BINDS } from "../db/delivery-reads";
import type { QueueJob } from "./jobs";
import { endpointKey } from "./load";
import { attemptRow } from "./outcome";

/**
 * The dead-letter queue's consumer: a job that exhausted the queue's own retries (the
 * consumer kept failing on it) is recorded as a failed delivery, with the reason, so that it
 * shows in the attempt log and can be resent, instead of vanishing.
 */
export async function handleDeadLetters(batch: MessageBatch<QueueJob>, env: Env): Promise<void> {
  const db = env.DB;
  const deliveries = batch.messages.flatMap((msg) =>
    msg.body?.kind === "delivery" ? [{ msg, job: msg.body }] : [],
  );
  for (const msg of batch.messages) {
    if (msg.body?.kind !== "delivery") {
      console.error("dead-lettered queue message dropped", msg.body?.kind ?? "unknown", msg.id);
      msg.ack();
    }
  }
  if (deliveries.length === 0) return;
  try {
    const byApp = new Map<string, Set<string>>();
    for (const { job } of deliveries)
      byApp.set(job.appId, (byApp.get(job.appId) ?? new Set()).add(job.endpointId));
    const reads = [...byApp].flatMap(([appId, ids]) =>
      chunk([...ids], MAX_BINDS - 1).map((part) => endpointsByIds(db, appId, part)),
    );
    const endpoints = new Map<string, EndpointRow>();
    for (const result of await db.batch<EndpointRow>(reads)) {
      for (const ep of result.results) endpoints.set(endpointKey(ep.app_id, ep.id), ep);
    }
    const now = Date.now();
    const rows = deliveries.flatMap(({ job }) => {
      const ep = endpoints.get(endpointKey(job.appId, job.endpointId));
      if (!ep) return [];
      const reason = "dead-lettered: the job exhausted the delivery queue's retries";
      return [
        attemptRow(job, ep.url, now, {
          status: STATUS.fail,
          code: 0,
          response: reason,
          durationMs: 0,
          nextAttemptAt: null,
        }),
      ];
    });
    if (rows.length > 0) await db.batch(rows.map((row) => insertAttempt(db, row)));
    for (const { msg } of deliveries) msg.ack();
  } catch (err) {
    console.error("dead-letter batch not recorded; retrying", err instanceof Error ? err.message : err);
    for (const { msg } of deliveries) msg.retry({ delaySeconds: 30 });
  }
}
