// `npm run bench`: Edgehook's throughput, latency and cost per delivery under `wrangler dev`,
// side by side with a bare worker, on 127.0.0.1 only. See bench/README.md for the method.
//   --quick              3 s ingest, short e2e and scale-out phases (iterate fast)
//   --seconds N          ingest duration per target (default 10)
//   --rounds N           baseline/edgehook alternations (default 1)
//   --connections N      ingest connections (default 50)
//   --messages N         e2e messages at fan-out 1, keyed and unkeyed (default 1000)
//   --fanout-messages N  e2e messages at fan-out 10 (default 200)
//   --throttled-messages N  e2e messages to one endpoint with a throttleRate (default 300)
//   --scale-messages N   messages per scale-out level, over 1, 4 and 16 applications (default 1000)
//   --in-flight N        e2e concurrent ingest requests (default 20)
//   --ingest-fanout N    endpoints of the ingest phase's application (default 1; 0 = no deliveries)
//   --idle-seconds N     a window without traffic at the end: what idle log objects cost (default 30; 0 = skip)
//   --idle-settle N      wait this long before that window, for the objects to settle (default 75; quick 0)
//   --unkeyed            no idempotency-key on ingest (the fan-out 1 phase runs both ways anyway)
//   --skip-ingest        only the end-to-end phases
//   --keep               keep the temp folder (state, logs)
//   --timeout N          abort the whole run after N s (default 300)
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { client, messageBody, now } from "./lib/api.mjs";
import { operationsPerDelivery } from "./lib/costs.mjs";
import {
  e2ePhase,
  idlePhase,
  ingestPhase,
  matchReceipts,
  scalePhase,
  settledCounters,
  setUpFanout,
  waitForDeliveries,
} from "./lib/phases.mjs";
import {
  freePorts,
  killAllNow,
  ROOT,
  snapshotTree,
  startReceiver,
  startWranglerDev,
  stopAll,
  waitForHttp,
  wrangler,
} from "./lib/processes.mjs";
import { formatTables, summaryLine } from "./lib/report.mjs";
import { sleep } from "./lib/stats.mjs";
import { NOT_COUNTED, PRICES, PRICES_READ_ON } from "./prices.mjs";

function parseOptions(argv) {
  const flag = (name) => argv.includes(name);
  const num = (name, fallback, min = 1) => {
    const i = argv.indexOf(name);
    if (i === -1) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer >= ${min}`);
    return n;
  };
  const quick = flag("--quick");
  return {
    quick,
    seconds: num("--seconds", quick ? 3 : 10),
    warmupSeconds: quick ? 1 : 2,
    rounds: num("--rounds", 1),
    connections: num("--connections", 50),
    messages: num("--messages", quick ? 200 : 1000),
    fanoutMessages: num("--fanout-messages", quick ? 50 : 200),
    throttledMessages: num("--throttled-messages", quick ? 100 : 300),
    scaleMessages: num("--scale-messages", quick ? 160 : 1000),
    scaleApps: [1, 4, 16],
    lifecycle: lifecycleSettings(),
    idleSeconds: num("--idle-seconds", quick ? 16 : 30, 0),
    idleSettleSeconds: num("--idle-settle", quick ? 0 : 75, 0),
    inFlight: num("--in-flight", 20),
    unkeyed: flag("--unkeyed"),
    skipIngest: flag("--skip-ingest"),
    ingestFanout: num("--ingest-fanout", 1, 0),
    keep: flag("--keep"),
    timeoutS: num("--timeout", 300),
    drainTimeoutMs: quick ? 30_000 : 60_000,
    e2eTimeoutMs: quick ? 30_000 : 45_000,
  };
}

/**
 * The clocks of the lifecycle ticks: payloads expire after the API's default
 * payloadRetentionPeriod (90 days, src/services/messages.ts), days are dropped after
 * LOG_RETENTION_DAYS (read from bench/wrangler.bench.toml).
 */
function lifecycleSettings() {
  const toml = readFileSync(join(ROOT, "bench/wrangler.bench.toml"), "utf8");
  const retentionDays = Number(/^LOG_RETENTION_DAYS\s*=\s*"(\d+)"/m.exec(toml)?.[1] ?? 90);
  return { payloadDays: 90, retentionDays };
}

const log = (message) => console.log(`[bench ${((Date.now() - START) / 1000).toFixed(1)}s] ${message}`);
const START = Date.now();

async function startServices(dir) {
  const token = randomBytes(16).toString("hex");
  const envFile = join(dir, "bench.env");
  writeFileSync(
    envFile,
    [
      `ADMIN_TOKEN=${token}`,
      `ENCRYPTION_KEY=${randomBytes(32).toString("base64")}`,
      `OPERATIONAL_WEBHOOK_SECRET=whsec_${randomBytes(24).toString("base64")}`,
    ].join("\n"),
  );
  const state = join(dir, "state");
  mkdirSync(state);
  const tree = join(dir, "tree");
  snapshotTree(tree);
  log("applying D1 migrations to a fresh state folder");
  const migrate = ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state];
  await wrangler([...migrate, "-c", "bench/wrangler.bench.toml"], tree);
  const [port, inspector, basePort, baseInspector] = await freePorts(4);
  const receiver = await startReceiver(join(dir, "receiver.log"));
  const edgehook = startWranglerDev({
    label: "edgehook (wrangler dev)",
    cwd: tree,
    config: "bench/wrangler.bench.toml",
    port,
    inspectorPort: inspector,
    persistTo: state,
    envFile,
    logFile: join(dir, "edgehook.log"),
  });
  const baseline = startWranglerDev({
    label: "baseline (wrangler dev)",
    cwd: tree,
    config: "bench/wrangler.baseline.toml",
    port: basePort,
    inspectorPort: baseInspector,
    logFile: join(dir, "baseline.log"),
  });
  log(`starting edgehook on ${edgehook.url}, baseline on ${baseline.url}, receiver on ${receiver.url}`);
  await Promise.all([
    waitForHttp(`${edgehook.url}/api/v1/health`, 200, edgehook),
    waitForHttp(`${baseline.url}/health`, 204, baseline),
  ]);
  return { token, receiver, edgehook, baseline };
}

/** Ingest at full load, then the drain of the deliveries it created (fan-out 1 to the receiver). */
async function runIngest(opts, services, api, body, results) {
  const { app, endpoints } = await setUpFanout(api, services.receiver, "ingest", opts.ingestFanout);
  const { isolateId } = await api.resetCounters();
  const started = now();
  const ingest = await ingestPhase({
    edgehookUrl: services.edgehook.url,
    baselineUrl: services.baseline.url,
    appId: app.id,
    token: services.token,
    body,
    opts,
    log,
  });
  results.ingest = ingest;
  const e = ingest.edgehook;
  if (ingest.accepted === 0) {
    throw new Error(`ingest accepted nothing: status codes ${JSON.stringify(e.rounds[0]?.statusCodes)}`);
  }
  if (e.non2xx > 0 || e.errors > 0) {
    results.failures.push(
      `ingest: ${e.non2xx} non-2xx and ${e.errors} errors (${JSON.stringify(e.rounds.map((r) => r.statusCodes))})`,
    );
  }
  // autocannon stops counting with requests still in flight, so the server's own count of
  // 2xx answers (the instrumented fetch handler's) is what the drain must deliver.
  await sleep(1000);
  const accepted = ((await api.counters()).responses["2xx"] ?? 0) * opts.ingestFanout;
  log(`ingest: waiting for the ${accepted} accepted messages to be delivered`);
  const wait = await waitForDeliveries(services.receiver, "/ingest/", accepted, {
    timeoutMs: opts.drainTimeoutMs,
    stallMs: 20_000,
  });
  const { counters, settled } = await settledCounters(api);
  const { records } = await services.receiver.ask("records", { prefix: "/ingest/" });
  const ids = new Set(records.map(([, id]) => id));
  const match = matchReceipts(records, new Map([...ids].map((id) => [id, started])), endpoints);
  results.ingestDrain = {
    expected: accepted,
    delivered: match.delivered,
    pending: accepted - match.delivered,
    duplicates: match.duplicates,
    deliveriesPerSecond: match.delivered / ((match.lastReceipt - started) / 1000),
    countersSettled: settled,
    workerReloaded: counters.isolateId !== isolateId,
    operations: operationsPerDelivery(counters, match.delivered),
  };
  if (results.ingestDrain.workerReloaded) {
    results.failures.push("ingest: the worker was reloaded mid-phase; counters incomplete");
  }
  if (!wait.complete)
    log(`ingest: ${accepted - match.delivered} deliveries still pending after the drain wait`);
}

/** Checks that the counters saw the consumer and the objects (same isolate as the fetch handler). */
function isolateChecks(phase, results) {
  const ops = phase?.operations;
  if (!ops) return;
  const checks = {
    consumerSeen: ops.totals.consumerInvocations > 0,
    durableObjectCallsSeenOnBothSides: ops.totals.doCalls === 0 || ops.doReceived >= ops.totals.doCalls,
    d1StatementsWithoutMeta: ops.totals.d1StatementsWithoutMeta,
  };
  results.checks = checks;
  if (phase.delivered > 0 && !checks.consumerSeen) {
    results.failures.push("counters: the queue consumer ran outside the isolate serving /__bench/counters");
  }
  if (!checks.durableObjectCallsSeenOnBothSides) {
    log(
      `warning: stubs made ${ops.totals.doCalls} DO calls but the objects counted ${ops.doReceived} (other isolate?)`,
    );
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), "edgehook-bench-"));
  if (!opts.keep) tempDir = dir;
  const watchdog = setTimeout(() => {
    console.error(`bench: aborted after ${opts.timeoutS} s (--timeout)`);
    shutdown(1);
  }, opts.timeoutS * 1000);
  const results = {
    startedAt: new Date().toISOString(),
    options: opts,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      loadavg: loadavg(),
      node: process.version,
      wrangler: JSON.parse(readFileSync(join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version,
    },
    prices: { readOn: PRICES_READ_ON, usdPerMillion: PRICES, notCounted: NOT_COUNTED },
    failures: [],
  };
  let exitCode = 0;
  try {
    const services = await startServices(dir);
    const api = client(services.edgehook.url, services.token);
    await api.counters();
    await api.ensureEventType();
    const body = messageBody(1024);
    if (!opts.skipIngest) await runIngest(opts, services, api, body, results);
    const e2eOpts = { inFlight: opts.inFlight, e2eTimeoutMs: opts.e2eTimeoutMs };
    const keyed = !opts.unkeyed;
    const phase = (prefix, fanout, messages, more = {}) =>
      e2ePhase({
        api,
        receiver: services.receiver,
        prefix,
        fanout,
        messages,
        opts: e2eOpts,
        body,
        log,
        keyed,
        ...more,
      });
    results.e2e = {};
    // Fan-out 1 twice, with and without idempotency keys, each followed by the lifecycle tick
    // that deletes what it stored: the cost of a delivery from ingest to deletion.
    const lifecycle = opts.lifecycle;
    results.e2e.fanout1 = await phase("e2e-f1", 1, opts.messages, { keyed: true, lifecycle });
    isolateChecks(results.e2e.fanout1, results);
    results.e2e.fanout1Unkeyed = await phase("e2e-f1-unkeyed", 1, opts.messages, {
      keyed: false,
      lifecycle,
    });
    results.e2e.fanout10 = await phase("e2e-f10", 10, opts.fanoutMessages);
    // Not in the summary line: the endpoints above are unlimited, so the consumer never asks
    // their Durable Object for permits; a throttleRate (high enough not to slow anything)
    // shows what rate limiting costs per delivery.
    results.throttled = await phase("e2e-f1-throttled", 1, opts.throttledMessages, {
      endpointOptions: { throttleRate: 10_000 },
    });
    results.scale = await scalePhase({
      api,
      receiver: services.receiver,
      appCounts: opts.scaleApps,
      messages: opts.scaleMessages,
      opts: e2eOpts,
      body,
      log,
      keyed,
    });
    if (opts.idleSeconds > 0)
      results.idle = await idlePhase({
        api,
        seconds: opts.idleSeconds,
        settleSeconds: opts.idleSettleSeconds,
        log,
      });
    const scaleLevels = Object.fromEntries(results.scale.levels.map((l) => [`scale-${l.apps}`, l]));
    for (const [name, p] of Object.entries({
      ...results.e2e,
      throttled: results.throttled,
      ...scaleLevels,
    })) {
      if (p.ingestFailures > 0)
        results.failures.push(
          `${name}: ${p.ingestFailures} ingest requests failed (${p.ingestFailureSample[0]})`,
        );
      if (p.lost > 0) results.failures.push(`${name}: ${p.lost} deliveries lost`);
      if (p.workerReloaded)
        results.failures.push(`${name}: the worker was reloaded mid-phase; counters incomplete`);
      if (p.signatures?.failures > 0)
        results.failures.push(`${name}: ${p.signatures.failures} bad signatures`);
      const life = p.lifecycle;
      if (life && !life.deletedAll)
        results.failures.push(
          `${name}: the lifecycle ticks left ${JSON.stringify(life.after)} (${life.ticks.length} ticks)`,
        );
      if (life?.workerReloaded)
        results.failures.push(`${name}: the worker was reloaded during the lifecycle tick`);
    }
  } catch (error) {
    results.failures.push(String(error?.stack ?? error));
  } finally {
    clearTimeout(watchdog);
    results.finishedAt = new Date().toISOString();
    results.durationS = (Date.now() - START) / 1000;
    await stopAll();
    if (opts.keep) log(`kept ${dir}`);
    removeTempDir();
  }
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTables(results));
  console.log(`\nresults: bench/results/latest.json (prices read on ${PRICES_READ_ON})`);
  for (const failure of results.failures) console.error(`FAILED: ${failure}`);
  if (results.failures.length) exitCode = 1;
  console.log(summaryLine(results));
  process.exitCode = exitCode;
}

let tempDir = null;
function removeTempDir() {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = null;
}

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  await stopAll();
  removeTempDir();
  process.exit(code);
}
process.on("SIGINT", () => shutdown(130));
process.on("SIGTERM", () => shutdown(143));
process.on("exit", killAllNow);

main().catch(async (error) => {
  console.error(error);
  await shutdown(1);
});
