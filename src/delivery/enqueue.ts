import type { QueueJob } from "./jobs";

// sendBatch takes at most 100 messages and 256 KB per call; jobs are packed into chunks
// within both limits.
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
/** Per-message overhead the platform counts on top of the body (kept conservative). */
const MESSAGE_OVERHEAD_BYTES = 128;
/** Payloads up to this size travel inside the job; larger ones are read from D1 by the consumer. */
export const INLINE_PAYLOAD_BYTES = 8 * 1024;

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
