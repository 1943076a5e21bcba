import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { DeliveryJob, QueueJob } from "../../src/delivery/jobs";
import worker from "../../src/index";

// Drives the Worker's queue handler with a hand-made batch and records what it did.
let seq = 0;

export function spySendBatch() {
  return vi.spyOn(env.DELIVERIES, "sendBatch").mockResolvedValue({} as QueueSendBatchResponse);
}

export const sentJobs = (spy: ReturnType<typeof spySendBatch>) =>
  spy.mock.calls.flatMap(([messages]) => [...(messages as MessageSendRequest<QueueJob>[])]);

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

export function job(
  appId: string,
  msgId: string,
  endpointId: string,
  extra: Partial<DeliveryJob> = {},
): DeliveryJob {
  return { kind: "delivery", appId, msgId, endpointId, attempt: 0, trigger: 0, ...extra };
}
