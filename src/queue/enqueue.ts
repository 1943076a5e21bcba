import type { DeliveriesJob, DeliveryRef, QueueJob } from "./jobs";

// sendBatch takes at most 100 messages and 256 KB per call; a queue message at most 128 KB,
// and every started 64 KB of a message is one billed operation. Deliveries of one log object
// that share a delay travel together, at most REFS_PER_MESSAGE to a message, so one billed
// operation carries many deliveries.
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
/** Per-message overhead the platform counts on top of the body (kept conservative). */
const MESSAGE_OVERHEAD_BYTES = 128;
/**
 * Deliveries per queue message. A ref is ~120 bytes, so 100 stay far inside the 64 KB billing
 * unit; more per message would make one consumer invocation send more webhooks (6 at a time)
 * and hold fewer invocations in parallel.
 */
export const REFS_PER_MESSAGE = 100;

const encoder = new TextEncoder();
export const byteLength = (text: string) => encoder.encode(text).length;

export interface Outgoing {
  job: QueueJob;
  delaySeconds?: number;
}

/** Groups item indexes into sendBatch calls within the message-count and byte limits. */
export function chunkJobs(items: readonly Outgoing[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  items.forEach(({ job }, i) => {
    const size = byteLength(JSON.stringify(job)) + MESSAGE_OVERHEAD_BYTES;
    if (current.length === MAX_BATCH_MESSAGES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const toRequest = ({ job, delaySeconds }: Outgoing): MessageSendRequest<QueueJob> =>
  delaySeconds ? { body: job, contentType: "json", delaySeconds } : { body: job, contentType: "json" };

/**
 * Sends the jobs in as few sendBatch calls as the limits allow. Returns the indexes of the
 * items whose call failed (empty when all were sent); never throws.
 */
export async function enqueueJobs(queue: Queue, items: readonly Outgoing[]): Promise<number[]> {
  const failed: number[] = [];
  for (const chunk of chunkJobs(items)) {
    try {
      await queue.sendBatch(chunk.map((i) => toRequest(items[i] as Outgoing)));
    } catch (err) {
      console.error("queue sendBatch failed", chunk.length, err instanceof Error ? err.message : err);
      failed.push(...chunk);
    }
  }
  return failed;
}

/** Packs one log object's deliveries into queue messages: those with the same delay together. */
export function packDeliveries(
  appId: string,
  shard: number,
  items: readonly { ref: DeliveryRef; delaySeconds: number }[],
): Outgoing[] {
  const byDelay = new Map<number, DeliveryRef[]>();
  for (const { ref, delaySeconds } of items) {
    const refs = byDelay.get(delaySeconds) ?? [];
    refs.push(ref);
    byDelay.set(delaySeconds, refs);
  }
  const out: Outgoing[] = [];
  for (const [delaySeconds, refs] of byDelay) {
    for (let i = 0; i < refs.length; i += REFS_PER_MESSAGE) {
      const job: DeliveriesJob = {
        kind: "deliveries",
        appId,
        shard,
        refs: refs.slice(i, i + REFS_PER_MESSAGE),
      };
      out.push(delaySeconds > 0 ? { job, delaySeconds } : { job });
    }
  }
  return out;
}
