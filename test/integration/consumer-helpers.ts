import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index";
import type { DeliveriesJob, DeliveryRef, QueueJob } from "../../src/queue/jobs";

// Drives the Worker's queue handler with a hand-made batch and records what it did.
let seq = 0;

export function spySendBatch() {
  return vi.spyOn(env.DELIVERIES, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
}

export const sentJobs = (spy: ReturnType<typeof spySendBatch>) =>
  spy.mock.calls.flatMap(([messages]) => [...(messages as MessageSendRequest<QueueJob>[])]);

/** One delivery as a test reads it off the queue: its log object and its ref, with the send's delay. */
export type SentDelivery = DeliveryRef & { appId: string; shard: number; delaySeconds: number | undefined };

/** Every delivery the spied sendBatch calls carried, unpacked from their queue messages. */
export const sentDeliveries = (spy: ReturnType<typeof spySendBatch>): SentDelivery[] =>
  sentJobs(spy).flatMap((m) =>
    m.body.kind === "deliveries"
      ? m.body.refs.map((r) => ({
          ...r,
          appId: (m.body as DeliveriesJob).appId,
          shard: (m.body as DeliveriesJob).shard,
          delaySeconds: m.delaySeconds,
        }))
      : [],
  );

/** The queue message of some deliveries, as the log object packs them. */
export const pack = (appId: string, refs: DeliveryRef[], shard = 0): DeliveriesJob => ({
  kind: "deliveries",
  appId,
  shard,
  refs,
});

/** Waits until an application's log object has handed its deliveries to the (spied) queue. */
export const drained = (appId: string, shard = 0) =>
  env.APP_LOG.get(env.APP_LOG.idFromName(`${appId}:${shard}`)).drained();

/** Mocks the receiver at fetch: `answer` builds a new Response per call. */
export function mockReceiver(answer: (req: Request, call: number) => Response | Promise<Response>) {
  const requests: Request[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    requests.push(req.clone());
    return answer(req, requests.length - 1);
  });
  return { spy, requests };
}

export async function runQueue(queue: string, jobs: QueueJob[], attempts = 1, workerEnv: Env = env) {
  const batch = createMessageBatch<QueueJob>(
    queue,
    jobs.map((body) => ({ id: `m${seq++}`, timestamp: new Date(), attempts, body })),
  );
  // getQueueResult does not report a retry's delay: spy on each message's retry() for it.
  const retries = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  /** The delaySeconds each retried message was retried with, by message id. */
  const retryDelays = Object.fromEntries(
    retries.flatMap((spy, i) => spy.mock.calls.map((c) => [batch.messages[i]?.id, c[0]?.delaySeconds])),
  ) as Record<string, number | undefined>;
  return { ids: batch.messages.map((m) => m.id), result, retryDelays };
}

export const runDeliveries = (jobs: QueueJob[], attempts = 1, workerEnv: Env = env) =>
  runQueue("edgehook-deliveries", jobs, attempts, workerEnv);

/** A first-attempt ref; `extra` sets p (the attempt it follows), n and t. */
export function ref(msgId: string, endpointId: string, extra: Partial<DeliveryRef> = {}): DeliveryRef {
  return { m: msgId, e: endpointId, p: null, n: 0, t: 0, ...extra };
}

/** A sent delivery as the plain ref its queue message carried (without appId, shard, delay). */
export const asRef = ({ m, e, p, n, t }: DeliveryRef): DeliveryRef => ({ m, e, p, n, t });

/**
 * Waits until the application's log object has handed its deliveries to the (spied) queue,
 * returns every delivery the spy saw, and clears the spy for what the test does next.
 */
export async function takeQueued(
  spy: ReturnType<typeof spySendBatch>,
  appId: string,
  shard = 0,
): Promise<SentDelivery[]> {
  await drained(appId, shard);
  const sent = sentDeliveries(spy);
  spy.mockClear();
  return sent;
}
