// The benchmark's phases: ingest throughput (autocannon, Edgehook vs the bare baseline) and
// end to end (closed-loop senders, receipts at the receiver, counters of the phase).
import autocannon from "autocannon";
import { now, sendMessages } from "./api.mjs";
import { operationsPerDelivery } from "./costs.mjs";
import { latencySummary, sleep } from "./stats.mjs";

function cannon(url, { connections, seconds, headers, body }) {
  return autocannon({ url, method: "POST", connections, duration: seconds, headers, body });
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
  const edgehook = {
    connections: opts.connections,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  };
  const baseline = { ...edgehook, headers: { "content-type": "application/json" } };
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
  const result = { baseline: combine(runs.baseline), edgehook: combine(runs.edgehook), accepted };
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
}) {
  const { app, endpoints } = await setUpFanout(api, receiver, prefix, fanout, endpointOptions);
  await settledCounters(api);
  const { isolateId } = await api.resetCounters();
  log(`e2e ${prefix}: ${messages} messages x ${fanout} endpoints, ${opts.inFlight} in flight`);
  const sent = await sendMessages(api, app.id, messages, opts.inFlight, body);
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
  return {
    messages,
    fanout,
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
    measuredAt: now(),
  };
}
