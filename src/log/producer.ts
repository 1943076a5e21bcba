import { enqueueJobs, packDeliveries } from "../queue/enqueue";
import type { DeliveryRef } from "../queue/jobs";

export interface Produced {
  ref: DeliveryRef;
  delaySeconds: number;
}

/**
 * How long the first delivery of a send waits for others to join it. Concurrent ingests reach
 * the object within a few milliseconds of each other; waiting this long lets them share one
 * queue message (one billed operation, one consumer claim) at a cost of 25 ms of latency.
 */
export const LINGER_MS = 25;

/**
 * A log object's queue producer. Deliveries committed within LINGER_MS of each other, or while
 * a sendBatch is in flight, leave together, packed into as few queue messages as the limits
 * allow. A failed call is reported to `onFailed` (the outbox then re-enqueues those
 * deliveries); nothing here throws.
 */
export class Producer {
  private buffer: Produced[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly queue: Queue,
    private readonly onFailed: (items: Produced[]) => void,
  ) {}

  add(appId: string, shard: number, items: Produced[]): void {
    if (items.length === 0) return;
    this.buffer.push(...items);
    this.running ??= this.run(appId, shard);
  }

  /** Resolves once everything added so far has been handed to the queue (or reported failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Sends until the buffer is empty. `running` is cleared in the same synchronous step as the
   * last look at the buffer: an add() that came after that look starts a new run, one that came
   * before it is sent by this one. (Clearing it in a later callback would leave such an add's
   * deliveries in the buffer until the next add.)
   */
  private async run(appId: string, shard: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
    while (this.buffer.length > 0) {
      const items = this.buffer.splice(0);
      const outgoing = packDeliveries(appId, shard, items);
      const failed = await enqueueJobs(this.queue, outgoing);
      if (failed.length === 0) continue;
      const failedRefs = new Set(
        failed.flatMap((i) => (outgoing[i]?.job.kind === "deliveries" ? outgoing[i].job.refs : [])),
      );
      this.onFailed(items.filter((item) => failedRefs.has(item.ref)));
    }
    this.running = null;
  }
}
