import { finishTaskShard } from "../db/background-tasks";
import { idAt } from "../lib/ids";
import type { DeliveryRef } from "../queue/jobs";
import type { AttemptStore } from "./attempt-store";
import type { MessageStore } from "./message-store";
import { type Partitions, partitionStart } from "./partitions";
import type { Produced } from "./producer";
import type { RecoverTask } from "./protocol";
import { STATUS } from "./records";
import type { WaitingStore } from "./waiting";

/** Rows one alarm deletes or re-queues per background task, so that each alarm stays short. */
export const STEP = { purge: 1000, forget: 1000, recover: 500 };

// Retention, payload purges and the background tasks (endpoint deletion, recover) a log
// object runs from its alarm, each in bounded steps.
export class Maintenance {
  constructor(
    private readonly parts: Partitions,
    private readonly messages: MessageStore,
    private readonly attempts: AttemptStore,
    private readonly waiting: WaitingStore,
  ) {}

  /** The first day still inside retention: days before it are dropped whole. */
  private firstKept(now: number, retentionMs: number): number {
    return Math.floor((now - retentionMs) / 86_400_000);
  }

  /** When the oldest day falls out of retention, or null when there is none. */
  nextRetention(retentionMs: number): number | null {
    const oldest = this.parts.list()[0];
    return oldest === undefined ? null : partitionStart(oldest + 1) + retentionMs;
  }

  /** Drops the days past retention and purges expired payloads. */
  retain(now: number, retentionMs: number): { droppedDays: number; purged: number } {
    const keep = this.firstKept(now, retentionMs);
    let droppedDays = 0;
    for (const p of [...this.parts.list()]) {
      if (p >= keep) break;
      this.parts.drop(p);
      droppedDays++;
    }
    if (droppedDays > 0) this.waiting.drop({ before: now - retentionMs });
    return { droppedDays, purged: this.messages.purgeExpired(now, STEP.purge) };
  }

  /** One step of every pending background task; true when some task has more to do. */
  async runTasks(
    kv: SyncKvStorage,
    db: D1Database,
    produce: (items: Produced[]) => void,
    now: number,
  ): Promise<boolean> {
    let more = false;
    for (const [key, endpointId] of kv.list<string>({ prefix: "forget:" })) {
      const deleted = this.attempts.forgetEndpoint(endpointId, STEP.forget);
      this.waiting.drop({ endpointId });
      if (deleted < STEP.forget) kv.delete(key);
      else more = true;
    }
    for (const [key, task] of kv.list<RecoverTask>({ prefix: "recover:" })) {
      const { items, cursor, done } = this.recoverStep(task, now);
      produce(items);
      if (done) {
        kv.delete(key);
        await finishTaskShard(db, task.taskId, now);
      } else {
        kv.put(key, { ...task, cursor });
        more = true;
      }
    }
    return more;
  }

  /** Re-queues (trigger manual) the endpoint's failed deliveries among the next messages of the task's range. */
  private recoverStep(task: RecoverTask, now: number) {
    const from = task.cursor ? `${task.cursor}0` : idAt("msg", task.since);
    const page = this.messages.list(
      {
        fromId: from,
        toId: idAt("msg", task.until),
        cursor: null,
        eventTypes: null,
        channel: null,
        tag: null,
        endpointId: task.endpointId,
      },
      "ASC",
      STEP.recover,
      now,
    );
    const items: Produced[] = [];
    for (const m of page.slice(0, STEP.recover)) {
      const latest = this.attempts.latest(m.id, task.endpointId);
      if (!latest || latest.status !== STATUS.fail || latest.next_attempt_at !== null) continue;
      const ref: DeliveryRef = { m: m.id, e: task.endpointId, p: latest.id, n: 0, t: 1 };
      items.push({ ref, delaySeconds: 0 });
    }
    const last = page.slice(0, STEP.recover).at(-1);
    return { items, cursor: last?.id ?? task.cursor, done: page.length <= STEP.recover };
  }
}
