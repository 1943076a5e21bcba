import { getConfig } from "../config";
import { configChanged, logRef } from "../log/client";
import type { ClaimResult, Ident, RecordReport } from "../log/protocol";
import { emitOperational, endpointDisabledEvent, type OperationalEvent } from "../operational/events";
import {
  type DeliveriesJob,
  type DeliveryJob,
  type OperationalJob,
  type QueueJob,
  toDeliveryJob,
} from "../queue/jobs";
import { deliverGroups, type EndpointGroup } from "./deliver";
import { operationalResults } from "./operational";
import { type DeliveryResult, deferredResult, endedResult } from "./outcome";
import { MAX_CONNECTIONS } from "./pool";
import { RELAY_MARGIN_MS } from "./relay";
import { settle } from "./settle";

/** Retry delay of a queue message whose log object could not be reached. */
const LOG_UNAVAILABLE_SECONDS = 10;

/** The deliveries of one log object in this batch: its queue messages and their jobs. */
interface LogBatch {
  ident: Ident;
  messages: Message<QueueJob>[];
  jobs: DeliveryJob[];
  /** `${m}|${e}|${p}` of the jobs taken, so a job repeated within the batch is claimed once. */
  seen: Set<string>;
  claim?: ClaimResult;
}

/**
 * The deliveries queue consumer. Per log object (application shard): ONE claim call (which
 * jobs may send, with their payloads and endpoint settings), then the sends of the whole batch
 * grouped by endpoint, then ONE record call with every outcome. A log object that fails
 * affects only its own queue messages, which are retried; a job whose attempt was recorded is
 * dropped by the next claim, so a retried message sends nothing twice.
 */
export async function handleDeliveryBatch(batch: MessageBatch<QueueJob>, env: Env): Promise<void> {
  const logs = new Map<string, LogBatch>();
  const operational: { msg: Message<QueueJob>; job: OperationalJob }[] = [];
  for (const msg of batch.messages) {
    const job = msg.body;
    if (job?.kind === "operational") operational.push({ msg, job });
    else if (job?.kind === "deliveries" && Array.isArray(job.refs)) addToLog(logs, msg, job);
    else {
      console.error("dropping a queue message that is not a job", msg.id);
      msg.ack();
    }
  }
  if (logs.size > 0) await processDeliveries(env, [...logs.values()]);
  if (operational.length > 0) await settle(env.DELIVERIES, await operationalResults(env, operational));
}

function addToLog(logs: Map<string, LogBatch>, msg: Message<QueueJob>, job: DeliveriesJob): void {
  const key = `${job.appId}:${job.shard}`;
  let log = logs.get(key);
  if (!log) {
    log = { ident: { appId: job.appId, shard: job.shard }, messages: [], jobs: [], seen: new Set() };
    logs.set(key, log);
  }
  log.messages.push(msg);
  for (const ref of job.refs) {
    // The same job twice in one batch (a redelivered queue message beside an outbox copy):
    // claimed once, else its copy would be deferred by the lease it took and queued back.
    // Every message carrying it is acked with its log object's record.
    const seen = `${ref.m}|${ref.e}|${ref.p ?? ""}`;
    if (log.seen.has(seen)) continue;
    log.seen.add(seen);
    log.jobs.push(toDeliveryJob(job, ref));
  }
}

/** How long a claimed delivery stays leased: the batch's sends at 6 at a time, with margin. */
function leaseMs(env: Env, jobs: number): number {
  const config = getConfig(env);
  // A relayed send may take its relays' margin on top of the timeout (relay.ts).
  const perSend = config.deliveryTimeoutMs + (config.relay.mode === "off" ? 0 : RELAY_MARGIN_MS);
  return (Math.ceil(jobs / MAX_CONNECTIONS) + 2) * perSend;
}

async function processDeliveries(env: Env, logs: LogBatch[]): Promise<void> {
  const total = logs.reduce((n, l) => n + l.jobs.length, 0);
  const claimed = await Promise.all(
    logs.map(async (log) => {
      const ref = logRef(env, log.ident.appId, log.ident.shard);
      try {
        log.claim = await ref.stub.claim(log.ident, log.jobs.map(toRef), leaseMs(env, total));
        return log;
      } catch (err) {
        console.error(
          "log object claim failed; retrying its messages",
          log.ident.appId,
          err instanceof Error ? err.message : err,
        );
        for (const m of log.messages) m.retry({ delaySeconds: LOG_UNAVAILABLE_SECONDS });
        return null;
      }
    }),
  );
  const live = claimed.filter(
    (l): l is LogBatch & { claim: ClaimResult } => l !== null && l.claim !== undefined,
  );
  const now = Date.now();
  const early = new Map<LogBatch, DeliveryResult[]>();
  const groups = new Map<string, EndpointGroup>();
  for (const log of live) {
    const results: DeliveryResult[] = [];
    early.set(log, results);
    log.jobs.forEach((job, i) => {
      const verdict = log.claim.verdicts[i];
      if (!verdict || verdict.kind === "drop" || !log.claim.app) return;
      if (verdict.kind === "defer") {
        results.push(deferredResult(job, verdict.delayMs / 1000));
        return;
      }
      const { endpoint } = verdict;
      const withEvent = { ...job, eventId: verdict.eventId, lease: verdict.lease };
      if (endpoint.disabled) {
        results.push(
          endedResult(
            withEvent,
            endpoint.url,
            `endpoint disabled: ${endpoint.disabled_reason ?? "disabled"}`,
            now,
          ),
        );
      } else if (verdict.payload === null) {
        // An expunged or expired payload is never sent.
        results.push(endedResult(withEvent, endpoint.url, "the message content was expunged", now));
      } else {
        const key = `${log.ident.appId}/${endpoint.id}`;
        let group = groups.get(key);
        if (!group) {
          group = { app: log.claim.app, endpoint, works: [] };
          groups.set(key, group);
        }
        group.works.push({ job: withEvent, payload: verdict.payload });
      }
    });
  }

  const sent = await deliverGroups(env, [...groups.values()], now);
  const byLog = new Map<string, DeliveryResult[]>();
  for (const r of sent.results) {
    const key = `${r.job.appId}:${r.job.shard}`;
    byLog.set(key, [...(byLog.get(key) ?? []), r]);
  }
  // Health changes written to D1 reach every shard's copy before the outcomes are recorded.
  await Promise.all(
    [...sent.changedApps].map((appId) =>
      configChanged(env, appId).catch((err) =>
        console.error("config change not announced", appId, String(err)),
      ),
    ),
  );
  const events: OperationalEvent[] = [];
  await Promise.all(
    live.map(async (log) => {
      const results = [
        ...(early.get(log) ?? []),
        ...(byLog.get(`${log.ident.appId}:${log.ident.shard}`) ?? []),
      ];
      if (await recordResults(env, log, results)) events.push(...results.flatMap((r) => r.events));
    }),
  );
  for (const { group, verdict } of sent.disabled) {
    events.push(endpointDisabledEvent(group.app, group.endpoint, verdict.failingSince ?? Date.now()));
  }
  await emitOperational(env, events);
}

/** One record call per log object; its queue messages are acked only once it succeeded. */
async function recordResults(env: Env, log: LogBatch, results: DeliveryResult[]): Promise<boolean> {
  const report: RecordReport = { attempts: [], deferred: [], released: [] };
  for (const r of results) {
    const lease = r.job.lease;
    if (r.attempt) {
      report.attempts.push({
        row: r.attempt,
        retryDelaySeconds: r.retryDelaySeconds,
        n: r.job.attempt + 1,
        lease,
      });
    } else if (r.deferSeconds !== null) {
      report.deferred.push({ ref: toRef(r.job), delaySeconds: r.deferSeconds, ...(lease ? { lease } : {}) });
    } else if (lease) report.released.push({ ref: toRef(r.job), lease });
  }
  try {
    const ref = logRef(env, log.ident.appId, log.ident.shard);
    await ref.stub.record(log.ident, report);
  } catch (err) {
    // Not recorded: the messages come back; their deliveries are claimable again (at-least-once).
    console.error(
      "log object record failed; retrying its messages",
      log.ident.appId,
      err instanceof Error ? err.message : err,
    );
    for (const m of log.messages) m.retry({ delaySeconds: LOG_UNAVAILABLE_SECONDS });
    return false;
  }
  for (const m of log.messages) m.ack();
  return true;
}

const toRef = (job: DeliveryJob) => ({
  m: job.msgId,
  e: job.endpointId,
  p: job.prev,
  n: job.attempt,
  t: job.trigger,
});
