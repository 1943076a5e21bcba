// The benchmark's phases: ingest throughput (autocannon, Edgehook vs the bare baseline), end
// to end (closed-loop senders, receipts at the receiver, counters of the phase, then the
// lifecycle of what the phase stored) and scale-out over applications.
import autocannon from "autocannon";
import { PRICES } from "../prices.mjs";
import { now, sendMessages } from "./api.mjs";
import { operationsBetween, operationsPerDelivery, phaseTotals } from "./costs.mjs";
import { latencySummary, sleep } from "./stats.mjs";

function cannon(url, { connections, seconds, headers, body, idReplacement }) {
  return autocannon({ url, method: "POST", connections, duration: seconds, headers, body, idReplacement });
}

function cannonSummary(r) {
  return {
    rps: r.requests.average,
    requests: r.requests.total,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

/**
 * Baseline and Edgehook alternately (baseline first, so Edgehook's delivery backlog drains
 * after its own run), after a short warm-up of each. Returns both summaries and how many
 * messages Edgehook accepted in all (warm-up included), which the drain then waits for.
 */
export async function ingestPhase({ edgehookUrl, baselineUrl, appId, token, body, opts, log }) {
  // autocannon replaces [<id>] in each request with a fresh id: one key per request, as the
  // svix client sends. The baseline gets the same header (and ignores it).
  const keyHeader = opts.unkeyed ? {} : { "idempotency-key": "bench-[<id>]" };
  const edgehook = {
    connections: opts.connections,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...keyHeader },
    body,
    idReplacement: !opts.unkeyed,
  };
  const baseline = { ...edgehook, headers: { "content-type": "application/json", ...keyHeader } };
  const edgehookTarget = `${edgehookUrl}/api/v1/app/${appId}/msg`;
  const baselineTarget = `${baselineUrl}/api/v1/app/${appId}/msg`;
  let accepted = 0;
  log(`ingest: warm-up ${opts.warmupSeconds} s each`);
  await cannon(baselineTarget, { ...baseline, seconds: opts.warmupSeconds });
  accepted += (await cannon(edgehookTarget, { ...edgehook, seconds: opts.warmupSeconds }))["2xx"];
  const runs = { baseline: [], edgehook: [] };
  for (let round = 0; round < opts.rounds; round += 1) {
    log(`ingest: baseline ${opts.seconds} s at ${opts.connections} connections`);
    runs.baseline.push(cannonSummary(await cannon(baselineTarget, { ...baseline, seconds: opts.seconds })));
    log(`ingest: edgehook ${opts.seconds} s at ${opts.connections} connections`);
    const raw = await cannon(edgehookTarget, { ...edgehook, seconds: opts.seconds });
    accepted += raw["2xx"];
    runs.edgehook.push(cannonSummary(raw));
  }
  const mean = (list, key) => list.reduce((a, r) => a + r[key], 0) / list.length;
  const combine = (list) => ({
    rps: mean(list, "rps"),
    p50_ms: mean(list, "p50_ms"),
    p99_ms: mean(list, "p99_ms"),
    non2xx: list.reduce((a, r) => a + r.non2xx, 0),
    errors: list.reduce((a, r) => a + r.errors, 0),
    rounds: list,
  });
  const result = {
    keyed: !opts.unkeyed,
    baseline: combine(runs.baseline),
    edgehook: combine(runs.edgehook),
    accepted,
  };
  result.ratio = result.edgehook.rps / result.baseline.rps;
  return result;
}

/** Waits until the receiver has `expected` distinct messages under `prefix`, or gives up. */
export async function waitForDeliveries(receiver, prefix, expected, { timeoutMs, stallMs }) {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { unique } = await receiver.ask("count", { prefix });
    if (unique >= expected) return { complete: true, unique, waitedMs: Date.now() - started };
    if (unique !== last) {
      last = unique;
      lastChange = Date.now();
    }
    const stalled = Date.now() - lastChange > stallMs;
    if (stalled || Date.now() - started > timeoutMs) {
      return { complete: false, unique, waitedMs: Date.now() - started, stalled };
    }
    await sleep(200);
  }
}

function settledKey(c) {
  const q = c.queue;
  const d1 = Object.values(c.d1).reduce((a, x) => a + x.roundTrips, 0);
  return [q.messagesWritten, q.messagesRead, q.acks, q.retries, d1, c.durableObjects.stubCalls].join("/");
}

/**
 * Waits until every message written since the reset was consumed and acked and nothing moved
 * for a second (work after the ack, such as waitUntil, shows up as changing counters).
 */
export async function settledCounters(api, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let previous = "";
  for (;;) {
    const c = await api.counters();
    const q = c.queue;
    const consumed = q.messagesRead === q.acks + q.retries && q.acks >= q.messagesWritten;
    const key = settledKey(c);
    if (consumed && key === previous) return { counters: c, settled: true };
    if (Date.now() > deadline) return { counters: c, settled: false };
    previous = key;
    await sleep(1000);
  }
}

/** Creates an application with `fanout` endpoints on the receiver under `/prefix/i`. */
export async function setUpFanout(api, receiver, prefix, fanout, endpointOptions = {}) {
  const app = await api.createApp(`bench ${prefix}`);
  const endpoints = [];
  for (let i = 0; i < fanout; i += 1) {
    const path = `/${prefix}/${i}`;
    const ep = await api.createEndpoint(app.id, `${receiver.url}${path}`, endpointOptions);
    const secret = await api.endpointSecret(app.id, ep.id);
    if (secret) await receiver.ask("secret", { path, secret });
    endpoints.push({ id: ep.id, path });
  }
  return { app, endpoints };
}

/** Compares receipts with what was sent: latency per delivery, lost, duplicates. */
export function matchReceipts(records, sentAt, endpoints) {
  const seen = new Map(endpoints.map((e) => [e.path, new Set()]));
  const latencies = [];
  let duplicates = 0;
  let unexpected = 0;
  let lastReceipt = 0;
  for (const [path, id, t] of records) {
    const ids = seen.get(path);
    const t0 = sentAt.get(id);
    if (!ids || t0 === undefined) {
      unexpected += 1;
      continue;
    }
    if (ids.has(id)) {
      duplicates += 1;
      continue;
    }
    ids.add(id);
    latencies.push(t - t0);
    lastReceipt = Math.max(lastReceipt, t);
  }
  const expected = sentAt.size * endpoints.length;
  return {
    expected,
    delivered: latencies.length,
    lost: expected - latencies.length,
    duplicates,
    unexpected,
    latencies,
    lastReceipt,
  };
}

const DAY_MS = 86_400_000;

/**
 * The lifecycle of what a phase stored, as the log object's alarm would run it, each tick
 * through POST /__bench/lifecycle (one tick, at a given clock, counted like the alarm it
 * stands for):
 * 1. when the phase's payloads have expired (`payloadDays` after creation, plus 5 minutes)
 *    and their day is not dropped yet: the alarm wakes at the earliest purge_at and purges
 *    payloads in steps, so this tick repeats while purges are pending;
 * 2. one day past retention (`retentionDays + 1`): the day's tables are dropped.
 * Counted on top of the phase's counters (no reset in between): `whole` is the delivery and
 * its deletion.
 */
async function lifecycleOf(api, appId, { payloadDays, retentionDays }, phaseCounters, deliveries) {
  const start = Date.now();
  const ticks = [];
  const tick = async (clock, why) => {
    const t = await api.lifecycle(appId, clock);
    ticks.push({ why, clock: new Date(clock).toISOString(), ...t });
    return t;
  };
  const first = await api.storage(appId);
  if (first.purgePending > 0) {
    const purgeClock = start + payloadDays * DAY_MS + 5 * 60_000;
    for (let i = 0; i < 50; i += 1) {
      const t = await tick(purgeClock, "payload purge");
      if (t.after.purgePending === 0 || t.after.purgePending === t.before.purgePending) break;
    }
  }
  const last = await tick(start + (retentionDays + 1) * DAY_MS, "retention");
  const { counters, settled } = await settledCounters(api);
  const left = last.after;
  return {
    payloadDays,
    retentionDays,
    ticks,
    before: first,
    after: left,
    deletedAll: left.messages === 0 && left.keys === 0 && left.attempts === 0,
    countersSettled: settled,
    workerReloaded: counters.isolateId !== phaseCounters.isolateId,
    /** The ticks alone, per delivery of the phase. */
    operations: operationsBetween(phaseCounters, counters, deliveries),
    /** The phase and its ticks: the whole lifecycle of a delivery. */
    whole: operationsPerDelivery(counters, deliveries),
  };
}

export async function e2ePhase({
  api,
  receiver,
  prefix,
  fanout,
  messages,
  opts,
  body,
  log,
  endpointOptions,
  keyed = true,
  lifecycle = null,
}) {
  const { app, endpoints } = await setUpFanout(api, receiver, prefix, fanout, endpointOptions);
  await settledCounters(api);
  const storageBefore = await api.storage(app.id);
  const { isolateId } = await api.resetCounters();
  log(
    `e2e ${prefix}: ${messages} messages x ${fanout} endpoints, ${opts.inFlight} in flight, ${keyed ? "keyed" : "unkeyed"}`,
  );
  const sent = await sendMessages(api, app.id, messages, opts.inFlight, body, { keyed });
  const expected = sent.sentAt.size * fanout;
  const wait = await waitForDeliveries(receiver, `/${prefix}/`, expected, {
    timeoutMs: opts.e2eTimeoutMs,
    stallMs: opts.e2eTimeoutMs,
  });
  const { counters, settled } = await settledCounters(api);
  const { records } = await receiver.ask("records", { prefix: `/${prefix}/` });
  const match = matchReceipts(records, sent.sentAt, endpoints);
  const signatures = await receiver.ask("signatures", { prefix: `/${prefix}/` });
  const elapsedS = (match.lastReceipt - sent.started) / 1000;
  const storageAfter = await api.storage(app.id);
  const result = {
    messages,
    fanout,
    keyed,
    accepted: sent.sentAt.size,
    ingestFailures: sent.failures.length,
    ingestFailureSample: sent.failures.slice(0, 3),
    ingestSeconds: (sent.finished - sent.started) / 1000,
    expected,
    delivered: match.delivered,
    lost: match.lost,
    duplicates: match.duplicates,
    unexpected: match.unexpected,
    waitedMs: wait.waitedMs,
    deliveriesPerSecond: match.delivered > 0 ? match.delivered / elapsedS : 0,
    latencyMs: latencySummary(match.latencies),
    signatures: { checked: signatures.checked, failures: signatures.failures },
    countersSettled: settled,
    // A new isolate (the worker was reloaded) starts from zero: the counters are incomplete.
    workerReloaded: counters.isolateId !== isolateId,
    operations: operationsPerDelivery(counters, expected),
    storage: {
      before: storageBefore,
      after: storageAfter,
      bytesPerDelivery:
        expected > 0 ? (storageAfter.storageBytes - storageBefore.storageBytes) / expected : 0,
    },
    measuredAt: now(),
  };
  if (lifecycle) {
    log(`e2e ${prefix}: lifecycle (payload purge, then retention at +${lifecycle.retentionDays + 1} days)`);
    result.lifecycle = await lifecycleOf(api, app.id, lifecycle, counters, expected);
    result.storage.afterLifecycle = result.lifecycle.after;
  }
  return result;
}

/**
 * Scale-out: `messages` messages spread round-robin over k applications with one endpoint
 * each, for each k of `appCounts`; deliveries/s per k (first send to last receipt).
 */
export async function scalePhase({ api, receiver, appCounts, messages, opts, body, log, keyed }) {
  const levels = [];
  for (const k of appCounts) {
    const prefix = `scale-${k}`;
    const apps = [];
    for (let i = 0; i < k; i += 1) {
      const { app, endpoints } = await setUpFanout(api, receiver, `${prefix}/${i}`, 1);
      apps.push({ id: app.id, path: endpoints[0].path });
    }
    const pathOfApp = new Map(apps.map((a) => [a.id, a.path]));
    await settledCounters(api);
    const { isolateId } = await api.resetCounters();
    log(`scale ${k} apps: ${messages} messages, ${opts.inFlight} in flight`);
    const sent = await sendMessages(api, (n) => apps[n % k].id, messages, opts.inFlight, body, { keyed });
    const expected = sent.sentAt.size;
    const wait = await waitForDeliveries(receiver, `/${prefix}/`, expected, {
      timeoutMs: opts.e2eTimeoutMs,
      stallMs: opts.e2eTimeoutMs,
    });
    const { counters, settled } = await settledCounters(api);
    const { records } = await receiver.ask("records", { prefix: `/${prefix}/` });
    const match = matchEachToOne(records, sent.sentAt, (id) => pathOfApp.get(sent.appById.get(id)));
    const elapsedS = (match.lastReceipt - sent.started) / 1000;
    levels.push({
      apps: k,
      messages,
      accepted: expected,
      ingestFailures: sent.failures.length,
      ingestFailureSample: sent.failures.slice(0, 3),
      ingestSeconds: (sent.finished - sent.started) / 1000,
      ingestPerSecond: expected / ((sent.finished - sent.started) / 1000),
      expected,
      delivered: match.delivered,
      lost: match.lost,
      duplicates: match.duplicates,
      unexpected: match.unexpected,
      waitedMs: wait.waitedMs,
      deliveriesPerSecond: match.delivered > 0 ? match.delivered / elapsedS : 0,
      latencyMs: latencySummary(match.latencies),
      countersSettled: settled,
      workerReloaded: counters.isolateId !== isolateId,
      operations: operationsPerDelivery(counters, expected),
    });
  }
  const rate = (k) => levels.find((l) => l.apps === k)?.deliveriesPerSecond;
  const first = appCounts[0];
  const last = appCounts[appCounts.length - 1];
  return { levels, scale: rate(first) > 0 ? rate(last) / rate(first) : Number.NaN };
}

/** Receipts when each message has exactly one destination, at `pathOf(id)`. */
export function matchEachToOne(records, sentAt, pathOf) {
  const seen = new Set();
  const latencies = [];
  let duplicates = 0;
  let unexpected = 0;
  let lastReceipt = 0;
  for (const [path, id, t] of records) {
    const t0 = sentAt.get(id);
    if (t0 === undefined || pathOf(id) !== path) {
      unexpected += 1;
      continue;
    }
    if (seen.has(id)) {
      duplicates += 1;
      continue;
    }
    seen.add(id);
    latencies.push(t - t0);
    lastReceipt = Math.max(lastReceipt, t);
  }
  return {
    expected: sentAt.size,
    delivered: latencies.length,
    lost: sentAt.size - latencies.length,
    duplicates,
    unexpected,
    latencies,
    lastReceipt,
  };
}

/**
 * Nothing sent for `seconds`: what the log objects do on their own (alarms, storage, D1), per
 * object that woke and per hour. Run after the other phases, when every application they
 * created is idle.
 */
export async function idlePhase({ api, seconds, settleSeconds = 0, log }) {
  await settledCounters(api);
  // A log object keeps looking at its outbox for up to OUTBOX_RECOVERY_SECONDS + a quarter of it
  // after its last delivery; the window starts once that is over, so it counts idle objects only.
  if (settleSeconds > 0) {
    log(`idle: waiting ${settleSeconds} s for the log objects to settle`);
    await sleep(settleSeconds * 1000);
  }
  const { isolateId } = await api.resetCounters();
  log(`idle: ${seconds} s without traffic`);
  await sleep(seconds * 1000);
  const counters = await api.counters();
  const t = phaseTotals(counters);
  const woke = Object.values(counters.durableObjects.alarmsByObject);
  const objects = woke.length;
  // The alarm period: from objects that woke more than once, else the window per alarm.
  const periods = woke.filter((o) => o.count > 1).map((o) => (o.last - o.first) / (o.count - 1));
  const periodS = periods.length
    ? periods.sort((a, b) => a - b)[Math.floor(periods.length / 2)] / 1000
    : objects > 0
      ? (seconds * objects) / t.doAlarms
      : Number.NaN;
  const alarmsPerHour = 3600 / periodS;
  // Everything the window counted, per alarm, at the measured alarm rate.
  const perAlarm = (n) => (t.doAlarms > 0 ? n / t.doAlarms : 0);
  const usdPerAlarm = perAlarm(
    (t.doAlarms + t.doCalls) * PRICES.durableObjectRequest +
      t.doRowsWritten * PRICES.durableObjectRowWritten +
      t.doRowsRead * PRICES.durableObjectRowRead +
      t.d1RowsRead * PRICES.d1RowRead +
      t.d1RowsWritten * PRICES.d1RowWritten +
      t.queueOps * PRICES.queueOperation,
  );
  return {
    seconds,
    objectsThatWoke: objects,
    alarmPeriodSeconds: periodS,
    totals: t,
    perAlarm: {
      doRowsWritten: perAlarm(t.doRowsWritten),
      doRowsRead: perAlarm(t.doRowsRead),
      d1RoundTrips: perAlarm(t.d1RoundTrips),
      d1RowsRead: perAlarm(t.d1RowsRead),
      queueOps: perAlarm(t.queueOps),
    },
    alarmsPerObjectHour: alarmsPerHour,
    /** USD per idle log object per 30-day month (prices are per million). */
    usdPerObjectMonth: objects > 0 ? (usdPerAlarm / 1e6) * alarmsPerHour * 24 * 30 : 0,
    settleSeconds,
    sqlByStatement: counters.durableObjects.sqlByStatement,
    storageCalls: counters.durableObjects.storageCalls,
    workerReloaded: counters.isolateId !== isolateId,
  };
}
