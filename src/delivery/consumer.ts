import { insertAttempt } from "../db/attempts";
import { emitOperational, endpointDisabledEvent, type OperationalEvent } from "../operational/events";
import { recoverEndpoint } from "../services/deliveries";
import { deliverGroups, type EndpointGroup } from "./deliver";
import type { DeliveryJob, OperationalJob, QueueJob, RecoverJob } from "./jobs";
import { deliveryKey, endpointKey, isFirstScheduled, loadBatchData, messageKey } from "./load";
import { operationalResults } from "./operational";
import { deferredResult, endedResult, type Result } from "./outcome";
import { settle } from "./settle";

/** Retry delay after an infrastructure failure (D1 unavailable): nothing was recorded. */
const INFRA_RETRY_SECONDS = 10;

const acked = (msg: Message<QueueJob>, job: QueueJob): Result => ({
  ...deferredResult(msg, job, 0),
  next: { kind: "ack" },
});

/**
 * The deliveries queue consumer: ONE D1 read batch, the sends, ONE D1 write batch (every
 * attempt row and endpoint update of the queue batch), then each message acked or retried on
 * its own. Operational webhooks in the same batch are sent afterwards.
 */
export async function handleDeliveryBatch(batch: MessageBatch<QueueJob>, env: Env): Promise<void> {
  const now = Date.now();
  const early: Result[] = [];
  const deliveries: { msg: Message<QueueJob>; job: DeliveryJob }[] = [];
  const operational: { msg: Message<QueueJob>; job: OperationalJob }[] = [];
  const recoveries: { msg: Message<QueueJob>; job: RecoverJob }[] = [];
  const seen = new Set<string>();
  for (const msg of batch.messages) {
    const job = msg.body;
    if (job?.kind === "operational") operational.push({ msg, job });
    else if (job?.kind === "recover") recoveries.push({ msg, job });
    else if (job?.kind !== "delivery") {
      console.error("dropping a queue message that is not a job", msg.id);
      msg.ack();
    } else if (job.notBefore !== undefined && job.notBefore > now + 1000) {
      early.push(deferredResult(msg, job, (job.notBefore - now) / 1000));
    } else {
      // The same job twice in one batch (a sweeper copy next to its original): send it once.
      const key = `${deliveryKey(job.appId, job.msgId, job.endpointId)}/${job.trigger}/${job.attempt}`;
      if (seen.has(key)) early.push(acked(msg, job));
      else {
        seen.add(key);
        deliveries.push({ msg, job });
      }
    }
  }
  await processDeliveries(env, deliveries, early);
  if (operational.length > 0) await settle(env.DELIVERIES, await operationalResults(env, operational));
  for (const { msg, job } of recoveries) await continueRecovery(env, msg, job);
}

/** The next run of a large endpoint recovery (see recoverEndpoint); retried as a whole if it fails. */
async function continueRecovery(env: Env, msg: Message<QueueJob>, job: RecoverJob): Promise<void> {
  try {
    await recoverEndpoint(env, job.appId, job.endpointId, job);
    msg.ack();
  } catch (err) {
    // Re-queueing a page twice only repeats manual attempts (at-least-once); losing it would not.
    console.error("endpoint recovery run failed; retrying", err instanceof Error ? err.message : err);
    msg.retry({ delaySeconds: INFRA_RETRY_SECONDS });
  }
}

async function processDeliveries(
  env: Env,
  deliveries: { msg: Message<QueueJob>; job: DeliveryJob }[],
  early: Result[],
): Promise<void> {
  const db = env.DB;
  const now = Date.now();
  let data: Awaited<ReturnType<typeof loadBatchData>>;
  try {
    data = await loadBatchData(
      db,
      deliveries.map((d) => d.job),
    );
  } catch (err) {
    console.error("delivery batch read failed; retrying", err instanceof Error ? err.message : err);
    for (const { msg } of deliveries) msg.retry({ delaySeconds: INFRA_RETRY_SECONDS });
    return settle(env.DELIVERIES, early);
  }
  const results = [...early];
  const groups = new Map<string, EndpointGroup>();
  for (const { msg, job } of deliveries) {
    const endpoint = data.endpoints.get(endpointKey(job.appId, job.endpointId));
    const app = data.apps.get(job.appId);
    const stored = data.payloads.get(messageKey(job.appId, job.msgId));
    if (!endpoint || !app || (job.payload === undefined && !stored)) {
      // Deleted since (endpoint, application or message): nothing left to deliver to or from.
      results.push(acked(msg, job));
    } else if (
      isFirstScheduled(job) &&
      data.attempted.has(deliveryKey(job.appId, job.msgId, job.endpointId))
    ) {
      // A sweeper copy whose original was already attempted: the original owns the delivery.
      results.push(acked(msg, job));
    } else if (endpoint.disabled) {
      const reason = `endpoint disabled: ${endpoint.disabled_reason ?? "disabled"}`;
      results.push(endedResult(msg, job, endpoint.url, reason, now));
    } else {
      // An expunged message is not sent, even from a job that still carries its payload inline.
      const payload = data.expunged.has(messageKey(job.appId, job.msgId))
        ? null
        : (job.payload ?? stored?.payload ?? null);
      if (payload === null) {
        results.push(endedResult(msg, job, endpoint.url, "the message content was expunged", now));
        continue;
      }
      const withEvent = job.eventId === undefined && stored ? { ...job, eventId: stored.event_id } : job;
      const key = endpointKey(job.appId, job.endpointId);
      let group = groups.get(key);
      if (!group) {
        group = { app, endpoint, works: [] };
        groups.set(key, group);
      }
      group.works.push({ msg, job: withEvent, payload });
    }
  }

  const sent = await deliverGroups(env, db, [...groups.values()], now);
  results.push(...sent.results);
  const attemptStmts = results.flatMap((r) => (r.attempt ? [insertAttempt(db, r.attempt)] : []));
  const statements = [...attemptStmts, ...sent.updates, ...sent.disables.map((d) => d.stmt)];
  let written: D1Result[] = [];
  try {
    if (statements.length > 0) written = await db.batch(statements);
  } catch (err) {
    // Nothing was recorded: send again later (at-least-once) rather than lose the attempts.
    console.error(
      "delivery batch write failed; retrying the batch",
      err instanceof Error ? err.message : err,
    );
    for (const r of results) r.msg.retry({ delaySeconds: INFRA_RETRY_SECONDS });
    return;
  }
  await settle(env.DELIVERIES, results);

  const events: OperationalEvent[] = results.flatMap((r) => r.events);
  sent.disables.forEach((d, i) => {
    // Announce only the write that flipped the endpoint to disabled (a racing batch may repeat it).
    if ((written[statements.length - sent.disables.length + i]?.meta.changes ?? 0) === 0) return;
    const { app, endpoint } = d.group;
    events.push(endpointDisabledEvent(app, endpoint, d.verdict.failingSince ?? Date.now()));
  });
  await emitOperational(env, events);
}
