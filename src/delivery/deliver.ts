import { getConfig } from "../config";
import type { AppThrottle } from "../db/delivery-reads";
import { disableEndpoint, setFailingSince } from "../db/delivery-writes";
import type { EndpointRow } from "../db/endpoints";
import {
  acquirePermits,
  type EndpointTraffic,
  type HealthVerdict,
  needsHealthReport,
  reportHealth,
} from "../endpoint-state/client";
import { activeSecrets, decryptJson, type SigningKeys } from "../security/secrets";
import { checkDestinationUrl } from "../security/url-guard";
import type { DeliveryJob, QueueJob } from "./jobs";
import { deferredResult, endAsFailed, endedResult, type Result, sentResult } from "./outcome";
import { MAX_CONNECTIONS, mapPool } from "./pool";
import { type SendResult, sendWebhook } from "./send";
import { webhookHeaders } from "./sign";

// Sends one queue batch's deliveries, grouped by endpoint: per endpoint the URL re-check,
// one permit request and one health report; across endpoints one pool of at most 6
// connections.
export interface Work {
  msg: Message<QueueJob>;
  job: DeliveryJob;
  /** The payload (JSON text) to send. */
  payload: string;
}

export interface EndpointGroup {
  app: AppThrottle;
  endpoint: EndpointRow;
  works: Work[];
}

/** An endpoint whose verdict disabled it: written with the batch, announced after the commit. */
export interface DisableUpdate {
  group: EndpointGroup;
  verdict: HealthVerdict;
  stmt: D1PreparedStatement;
}

export interface GroupsOutcome {
  results: Result[];
  updates: D1PreparedStatement[];
  disables: DisableUpdate[];
}

interface Prepared {
  group: EndpointGroup;
  traffic: EndpointTraffic;
  send: Work[];
  results: Result[];
  secrets: string[] | null;
  headers: Record<string, string> | null;
}

async function prepare(env: Env, group: EndpointGroup, now: number): Promise<Prepared> {
  const { app, endpoint, works } = group;
  const config = getConfig(env);
  const traffic: EndpointTraffic = {
    appId: app.id,
    endpointId: endpoint.id,
    throttleRate: endpoint.throttle_rate ?? app.throttle_rate ?? null,
    failingSince: endpoint.failing_since,
  };
  const prepared: Prepared = { group, traffic, send: [], results: [], secrets: null, headers: null };
  const check = checkDestinationUrl(endpoint.url, { allowPrivate: config.allowPrivateDestinations });
  if (!check.ok) {
    // Not retried: the URL will not become acceptable by waiting.
    prepared.results = works.map((w) =>
      endedResult(w.msg, w.job, endpoint.url, `refused: ${check.reason}`, now),
    );
    return prepared;
  }
  const permits = await acquirePermits(env, traffic, works.length, now);
  prepared.send = works.slice(0, permits.granted);
  works.slice(permits.granted).forEach((w, i) => {
    const delayMs = Math.max(1000, permits.retryAfterMs + i * permits.spacingMs);
    prepared.results.push(deferredResult(w.msg, w.job, Math.ceil(delayMs / 1000)));
  });
  if (prepared.send.length > 0) {
    try {
      prepared.secrets = activeSecrets(
        await decryptJson<SigningKeys>(env.ENCRYPTION_KEY, endpoint.secrets),
        now,
      );
      prepared.headers = endpoint.headers
        ? await decryptJson<Record<string, string>>(env.ENCRYPTION_KEY, endpoint.headers)
        : null;
    } catch (err) {
      console.error(
        "cannot decrypt endpoint secrets",
        endpoint.id,
        err instanceof Error ? err.name : "error",
      );
    }
  }
  return prepared;
}

async function attempt(env: Env, p: Prepared, work: Work): Promise<{ sent: SendResult; startedAt: number }> {
  const startedAt = Date.now();
  if (!p.secrets) {
    const sent = {
      status: null,
      body: "cannot decrypt the endpoint's signing secret",
      durationMs: 0,
      retryAfterSeconds: null,
    };
    return { sent, startedAt };
  }
  const headers = await webhookHeaders({
    secrets: p.secrets,
    msgId: work.job.msgId,
    timestampSeconds: Math.floor(startedAt / 1000),
    body: work.payload,
    custom: p.headers,
  });
  const sent = await sendWebhook({
    url: p.group.endpoint.url,
    body: work.payload,
    headers,
    timeoutMs: getConfig(env).deliveryTimeoutMs,
  });
  return { sent, startedAt };
}

export async function deliverGroups(
  env: Env,
  db: D1Database,
  groups: EndpointGroup[],
  now: number,
): Promise<GroupsOutcome> {
  const schedule = getConfig(env).retryScheduleSeconds;
  const prepared = await Promise.all(groups.map((g) => prepare(env, g, now)));
  const tasks = prepared.flatMap((p) => p.send.map((work) => ({ p, work })));
  const sent = await mapPool(tasks, MAX_CONNECTIONS, ({ p, work }) => attempt(env, p, work));
  tasks.forEach(({ p, work }, i) => {
    const s = sent[i];
    if (!s) return;
    const { app, endpoint } = p.group;
    p.results.push(
      sentResult({
        msg: work.msg,
        job: work.job,
        app,
        endpoint,
        sent: s.sent,
        startedAt: s.startedAt,
        schedule,
      }),
    );
  });

  const outcome: GroupsOutcome = { results: [], updates: [], disables: [] };
  await Promise.all(
    prepared.map(async (p) => {
      const { results } = p;
      const report = { successes: 0, failures: 0, gone: false };
      for (const r of results) {
        if (!r.outcome) {
          if (r.attempt) report.failures++;
          continue;
        }
        if (r.outcome.kind === "success") report.successes++;
        else report.failures++;
        if (r.outcome.kind === "gone") report.gone = true;
      }
      let verdict: HealthVerdict | null = null;
      if (needsHealthReport(p.traffic, report))
        verdict = await reportHealth(env, p.traffic, report, Date.now());
      const { app, endpoint } = p.group;
      if (verdict?.disable) {
        const reason = verdict.reason ?? "disabled";
        const stmt = disableEndpoint(db, app.id, endpoint.id, reason, verdict.failingSince, Date.now());
        outcome.disables.push({ group: p.group, verdict, stmt });
        for (const r of results) {
          if (r.next.kind === "defer" && r.job.kind === "delivery") {
            outcome.results.push(
              endedResult(r.msg, r.job, endpoint.url, `endpoint disabled: ${reason}`, Date.now()),
            );
          } else {
            outcome.results.push(endAsFailed(r, `endpoint disabled: ${reason}`));
          }
        }
        return;
      }
      if (verdict && verdict.failingSince !== endpoint.failing_since) {
        outcome.updates.push(setFailingSince(db, app.id, endpoint.id, verdict.failingSince));
      }
      outcome.results.push(...results);
    }),
  );
  return outcome;
}
