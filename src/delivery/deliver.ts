import { getConfig } from "../config";
import { disableEndpoint, setFailingSince } from "../db/delivery-writes";
import type { EndpointRow } from "../db/endpoints";
import {
  acquirePermits,
  type EndpointTraffic,
  type HealthVerdict,
  needsHealthReport,
  reportHealth,
} from "../endpoint-state/client";
import type { AppThrottle } from "../log/protocol";
import type { DeliveryJob } from "../queue/jobs";
import { activeSecrets, decryptJson, endpointField, type SigningKeys } from "../security/secrets";
import { checkDestinationUrl } from "../security/url-guard";
import { deliveryFetch } from "./mtls";
import { type DeliveryResult, deferredResult, endAsFailed, endedResult, sentResult } from "./outcome";
import { MAX_CONNECTIONS, mapPool } from "./pool";
import { sendViaRelays, usesRelay } from "./relay";
import { type SendResult, sendWebhook } from "./send";
import { webhookHeaders } from "./sign";

// Sends one queue batch's deliveries, grouped by endpoint: per endpoint the URL re-check, one
// permit request and one health report; across endpoints one pool of at most 6 connections.
// What goes wrong with one endpoint (its state object throws, its D1 update fails) stays with
// that endpoint's deliveries: the others' results are never thrown away.

export interface Work {
  job: DeliveryJob;
  /** The payload (JSON text) to send. */
  payload: string;
}

export interface EndpointGroup {
  app: AppThrottle;
  endpoint: EndpointRow;
  works: Work[];
}

/** An endpoint this batch disabled (410, or failing for the whole window). */
export interface Disabled {
  group: EndpointGroup;
  verdict: HealthVerdict;
}

export interface GroupsOutcome {
  results: DeliveryResult[];
  disabled: Disabled[];
  /** Applications whose endpoint rows the batch changed in D1 (their log objects re-read them). */
  changedApps: Set<string>;
}

/** Retry delay for deliveries whose permits could not be asked for (the endpoint's object failed). */
const PERMITS_UNAVAILABLE_SECONDS = 10;

interface Prepared {
  group: EndpointGroup;
  traffic: EndpointTraffic;
  send: Work[];
  results: DeliveryResult[];
  secrets: string[] | null;
  headers: Record<string, string> | null;
}

async function prepare(env: Env, group: EndpointGroup, now: number): Promise<Prepared> {
  const { app, endpoint, works } = group;
  const traffic: EndpointTraffic = {
    appId: app.id,
    endpointId: endpoint.id,
    throttleRate: endpoint.throttle_rate ?? app.throttle_rate ?? null,
    failingSince: endpoint.failing_since,
  };
  const prepared: Prepared = { group, traffic, send: [], results: [], secrets: null, headers: null };
  const check = checkDestinationUrl(endpoint.url, getConfig(env));
  if (!check.ok) {
    // Not retried: the URL will not become acceptable by waiting.
    prepared.results = works.map((w) => endedResult(w.job, endpoint.url, `refused: ${check.reason}`, now));
    return prepared;
  }
  try {
    const permits = await acquirePermits(env, traffic, works.length, now);
    prepared.send = works.slice(0, permits.granted);
    works.slice(permits.granted).forEach((w, i) => {
      const delayMs = Math.max(1000, permits.retryAfterMs + i * permits.spacingMs);
      prepared.results.push(deferredResult(w.job, delayMs / 1000));
    });
  } catch (err) {
    // The endpoint's state object failed: this endpoint's deliveries wait, nothing is sent.
    console.error("endpoint permits unavailable", endpoint.id, err instanceof Error ? err.message : err);
    prepared.results = works.map((w) => deferredResult(w.job, PERMITS_UNAVAILABLE_SECONDS));
    return prepared;
  }
  if (prepared.send.length > 0) {
    try {
      prepared.secrets = activeSecrets(
        await decryptJson<SigningKeys>(env, endpointField(endpoint.id, "secrets"), endpoint.secrets),
        now,
      );
      prepared.headers = endpoint.headers
        ? await decryptJson<Record<string, string>>(
            env,
            endpointField(endpoint.id, "headers"),
            endpoint.headers,
          )
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

/** An attempt that failed before sending: recorded with `reason`, retried on the schedule. */
const unsent = (reason: string): SendResult => ({
  status: null,
  body: reason,
  durationMs: 0,
  retryAfterSeconds: null,
});

async function attempt(env: Env, p: Prepared, work: Work): Promise<{ sent: SendResult; startedAt: number }> {
  const startedAt = Date.now();
  if (!p.secrets) return { sent: unsent("cannot decrypt the endpoint's signing secret"), startedAt };
  const via = deliveryFetch(env, p.group.endpoint.mtls_certificate);
  if (!via.ok) return { sent: unsent(via.reason), startedAt };
  const headers = await webhookHeaders({
    secrets: p.secrets,
    msgId: work.job.msgId,
    timestampSeconds: Math.floor(startedAt / 1000),
    body: work.payload,
    custom: p.headers,
  });
  const config = getConfig(env);
  const delivery = {
    url: p.group.endpoint.url,
    body: work.payload,
    headers,
    timeoutMs: config.deliveryTimeoutMs,
  };
  // An mTLS endpoint goes out through its certificate binding: a relay could not present it.
  const relayed =
    usesRelay(config.relay, p.group.endpoint, p.group.app) && !p.group.endpoint.mtls_certificate;
  const sent = relayed
    ? await sendViaRelays(config.relay, delivery)
    : await sendWebhook({ ...delivery, fetch: via.fetch });
  return { sent, startedAt };
}

function healthOf(results: DeliveryResult[]) {
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
  return report;
}

/** Reports the endpoint's outcomes and applies the verdict; a failure here costs only the report. */
async function settleHealth(env: Env, p: Prepared, out: GroupsOutcome): Promise<void> {
  const { app, endpoint } = p.group;
  const report = healthOf(p.results);
  if (!needsHealthReport(p.traffic, report)) {
    out.results.push(...p.results);
    return;
  }
  try {
    const verdict = await reportHealth(env, p.traffic, report, Date.now());
    if (verdict.disable) {
      const reason = verdict.reason ?? "disabled";
      const now = Date.now();
      const res = await disableEndpoint(env.DB, app.id, endpoint.id, reason, verdict.failingSince, now).run();
      out.changedApps.add(app.id);
      // Announce only the write that flipped the endpoint to disabled (a racing batch may repeat it).
      if ((res.meta.changes ?? 0) > 0) out.disabled.push({ group: p.group, verdict });
      out.results.push(
        ...p.results.map((r) => endAsFailed(r, endpoint.url, `endpoint disabled: ${reason}`, now)),
      );
      return;
    }
    if (verdict.failingSince !== endpoint.failing_since) {
      await setFailingSince(env.DB, app.id, endpoint.id, verdict.failingSince).run();
      out.changedApps.add(app.id);
    }
  } catch (err) {
    console.error("endpoint health not updated", endpoint.id, err instanceof Error ? err.message : err);
  }
  out.results.push(...p.results);
}

export async function deliverGroups(env: Env, groups: EndpointGroup[], now: number): Promise<GroupsOutcome> {
  const schedule = getConfig(env).retryScheduleSeconds;
  const prepared = await Promise.all(groups.map((g) => prepare(env, g, now)));
  const tasks = prepared.flatMap((p) => p.send.map((work) => ({ p, work })));
  const sent = await mapPool(tasks, MAX_CONNECTIONS, ({ p, work }) => attempt(env, p, work));
  tasks.forEach(({ p, work }, i) => {
    const s = sent[i];
    if (!s) return;
    p.results.push(
      sentResult({
        job: work.job,
        app: p.group.app,
        url: p.group.endpoint.url,
        sent: s.sent,
        startedAt: s.startedAt,
        schedule,
      }),
    );
  });
  const out: GroupsOutcome = { results: [], disabled: [], changedApps: new Set() };
  await Promise.all(prepared.map((p) => settleHealth(env, p, out)));
  return out;
}
