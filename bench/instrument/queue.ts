// Counting wrappers for the queue producer and for the batches the consumer receives.
// Queues bill one operation per started 64 KB written, read (each delivery to the consumer,
// so a retry adds a read) and deleted (the ack).
import { type BatchStats, counters, type Label } from "./counters";

const BILLING_UNIT = 64 * 1024;

function sizeOf(body: unknown): number {
  if (typeof body === "string") return new TextEncoder().encode(body).byteLength;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return new TextEncoder().encode(JSON.stringify(body) ?? "").byteLength;
}

function recordWrite(label: Label, bodies: unknown[]): void {
  const q = counters.queue;
  q.messagesWritten += bodies.length;
  q.writtenBy[label] += bodies.length;
  for (const body of bodies) {
    const bytes = sizeOf(body);
    q.bytesWritten += bytes;
    q.writeOps += Math.max(1, Math.ceil(bytes / BILLING_UNIT));
  }
}

export function wrapQueue<T>(real: Queue<T>, label: Label): Queue<T> {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "send") {
        return (body: T, options?: QueueSendOptions) => {
          counters.queue.sendCalls += 1;
          recordWrite(label, [body]);
          return target.send(body, options);
        };
      }
      if (prop === "sendBatch") {
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          counters.queue.sendBatchCalls += 1;
          recordWrite(
            label,
            list.map((m) => m.body),
          );
          return target.sendBatch(list, options);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Outcome = "ack" | "retry" | undefined;

/**
 * Wraps a consumed batch so that explicit ack/retry calls are seen; `settle` then applies
 * the platform's rule for the rest (handler resolved: ack; handler threw: retry).
 */
export function trackBatch<T>(batch: MessageBatch<T>): {
  batch: MessageBatch<T>;
  stats: BatchStats;
  settle(handlerSucceeded: boolean): void;
} {
  const outcomes: Outcome[] = batch.messages.map(() => undefined);
  let all: Outcome;
  const messages = batch.messages.map((message, i) => ({
    get id() {
      return message.id;
    },
    get timestamp() {
      return message.timestamp;
    },
    get body() {
      return message.body;
    },
    get attempts() {
      return message.attempts;
    },
    ack() {
      outcomes[i] ??= "ack";
      message.ack();
    },
    retry(options?: QueueRetryOptions) {
      outcomes[i] ??= "retry";
      message.retry(options);
    },
  }));
  const wrapped: MessageBatch<T> = {
    get queue() {
      return batch.queue;
    },
    get metadata() {
      return batch.metadata;
    },
    messages,
    ackAll() {
      all ??= "ack";
      batch.ackAll();
    },
    retryAll(options?: QueueRetryOptions) {
      all ??= "retry";
      batch.retryAll(options);
    },
  };
  const q = counters.queue;
  q.messagesRead += batch.messages.length;
  for (const m of batch.messages) q.readOps += Math.max(1, Math.ceil(sizeOf(m.body) / BILLING_UNIT));
  const perQueue = q.byQueue[batch.queue] ?? { batches: 0, messages: 0, acks: 0, retries: 0 };
  q.byQueue[batch.queue] = perQueue;
  perQueue.batches += 1;
  perQueue.messages += batch.messages.length;
  const startedAt = Date.now();
  const waits = batch.messages.map((m) => Math.max(0, startedAt - m.timestamp.getTime()));
  const stats: BatchStats = {
    messages: batch.messages.length,
    startedAt,
    queueWaitMs: waits.reduce((a, b) => a + b, 0),
    maxQueueWaitMs: Math.max(0, ...waits),
    d1RoundTrips: 0,
    d1Batches: 0,
    doCallsByObject: new Map(),
    fetches: 0,
  };
  const settle = (handlerSucceeded: boolean) => {
    outcomes.forEach((outcome, i) => {
      const final = outcome ?? all ?? (handlerSucceeded ? "ack" : "retry");
      const key = final === "ack" ? "acks" : "retries";
      counters.queue[key] += 1;
      perQueue[key] += 1;
      if (final === "ack") {
        const body = batch.messages[i]?.body;
        counters.queue.deleteOps += Math.max(1, Math.ceil(sizeOf(body) / BILLING_UNIT));
      }
    });
  };
  return { batch: wrapped, stats, settle };
}
