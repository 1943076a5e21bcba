import { enqueueJobs, packDeliveries } from "../queue/enqueue";
import type { DeliveryRef } from "../queue/jobs";

export interface Produced {
  ref: DeliveryRef;
  delaySeconds: number;
}

/**
 * A log object's queue producer. Deliveries committed while a sendBatch is in flight wait for
 * it and leave together in the next one, packed into as few queue messages as the limits allow:
 * at low load every commit is sent at once, under load many commits share one call and one
 * billed queue operation. A failed call is reported to `onFailed` (the outbox then re-enqueues
 * those deliveries); nothing here throws.
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
    this.running ??= this.run(appId, shard).finally(() => {
      this.running = null;
    });
  }

  /** Resolves once everything added so far has been handed to the queue (or reported failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(appId: string, shard: number): Promise<void> {
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
  }
}
