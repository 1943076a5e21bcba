import type { QueueJob } from "../queue/jobs";

/**
 * The dead-letter queue's consumer. A delivery job lands here when the consumer failed on it
 * max_retries times (its log object kept failing). Nothing is lost by acking it: the log
 * object is the outbox and hands every delivery that was committed and not attempted, and
 * every retry whose time has come, to the queue again from its alarm. The job is logged for
 * the operator and acked, so that the dead-letter queue never fills.
 */
export async function handleDeadLetters(batch: MessageBatch<QueueJob>, _env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const job = msg.body;
    const what =
      job?.kind === "deliveries"
        ? `${job.refs.length} deliveries of ${job.appId} (shard ${job.shard})`
        : (job?.kind ?? "unknown job");
    console.error("dead-lettered queue message: the log object's outbox will re-enqueue it", what, msg.id);
    msg.ack();
  }
}
