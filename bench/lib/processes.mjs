// Child processes of the benchmark: free ports, wrangler dev instances, the receiver. Every
// child is started in its own process group and every group is killed on exit, on error and
// on Ctrl-C, so a failed run leaves no workerd behind.
import { execFile, fork, spawn } from "node:child_process";
import { cpSync, createWriteStream, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/**
 * Keep wrangler off the network: no update check (banner), no metrics, no error reports, no
 * download of the `Request.cf` placeholder (the worker does not read it).
 */
const WRANGLER_ENV = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  NO_COLOR: "1",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
};

const children = new Set();
/** Every process group started, kept after its leader exits: workerd may outlive wrangler. */
const groups = new Set();

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** `count` free ports from `start` upwards (8787 is left to `npm run dev`). */
export async function freePorts(count, start = 8788) {
  const ports = [];
  for (let port = start; ports.length < count && port < 65535; port += 1) {
    if (await portIsFree(port)) ports.push(port);
  }
  return ports;
}

function track(child, label, logFile) {
  const log = createWriteStream(logFile);
  let tail = "";
  const keep = (chunk) => {
    log.write(chunk);
    tail = (tail + chunk).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const entry = { child, label, tail: () => tail, logFile };
  children.add(entry);
  groups.add(child.pid);
  child.once("exit", () => {
    children.delete(entry);
    log.end();
  });
  return entry;
}

/**
 * Copies the code the benchmark runs (src, bench, migrations) to `dir`, with node_modules
 * linked: wrangler dev reloads the worker when a watched file changes, which would reset the
 * counters mid-run while someone edits the working tree. Returns the copy's root.
 */
export function snapshotTree(dir) {
  for (const name of ["src", "bench", "migrations", "package.json", "tsconfig.json"]) {
    cpSync(join(ROOT, name), join(dir, name), {
      recursive: true,
      filter: (source) => !source.startsWith(join(ROOT, "bench/results")),
    });
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

export async function wrangler(args, cwd = ROOT) {
  return promisify(execFile)(process.execPath, [WRANGLER, ...args], { cwd, env: WRANGLER_ENV });
}

/** Starts `wrangler dev` on 127.0.0.1:port in its own process group. */
export function startWranglerDev({ label, cwd, config, port, inspectorPort, persistTo, envFile, logFile }) {
  const args = [
    WRANGLER,
    "dev",
    "-c",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  if (persistTo) args.push("--persist-to", persistTo);
  if (envFile) args.push("--env-file", envFile);
  const child = spawn(process.execPath, args, {
    cwd,
    env: WRANGLER_ENV,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ...track(child, label, logFile), url: `http://127.0.0.1:${port}` };
}

/** Forks bench/receiver.mjs and returns an IPC client once it listens. */
export function startReceiver(logFile) {
  const child = fork(fileURLToPath(new URL("../receiver.mjs", import.meta.url)), [], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const entry = track(child, "receiver", logFile);
  const pending = new Map();
  let nextId = 1;
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`receiver exited (${code}): ${entry.tail()}`)));
    child.on("message", (message) => {
      if (message.type === "ready") {
        resolve({
          url: `http://127.0.0.1:${message.port}`,
          ask(type, fields = {}) {
            const id = nextId++;
            child.send({ type, id, ...fields });
            return new Promise((done) => pending.set(id, done));
          },
        });
      } else if (message.type === "reply") {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
}

/**
 * Polls `url` until it answers `status`, or throws with the child's last output. wrangler dev
 * does not exit when the worker fails to build or start (it waits for a file change, and its
 * proxy holds requests meanwhile), so each poll has a timeout and an [ERROR] in the output
 * that is not followed by a ready worker within 15 s fails the start.
 */
export async function waitForHttp(url, status, entry, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let errorSeenAt = null;
  for (;;) {
    if (entry.child.exitCode !== null) {
      throw new Error(`${entry.label} exited early (${entry.child.exitCode}):\n${entry.tail()}`);
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    if (/\[ERROR\]/.test(entry.tail().replace(/\x1b\[[0-9;]*m/g, ""))) errorSeenAt ??= Date.now();
    if (errorSeenAt !== null && Date.now() - errorSeenAt > 15_000) {
      throw new Error(`${entry.label} reported an error and is not ready:\n${entry.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${entry.label} not ready after ${timeoutMs} ms:\n${entry.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/** SIGTERM to every child's process group, then SIGKILL to those still alive after 5 s. */
export async function stopAll() {
  const alive = [...children];
  const exits = alive.map(
    (e) => new Promise((r) => (e.child.exitCode !== null ? r() : e.child.once("exit", r))),
  );
  for (const entry of alive) killGroup(entry.child.pid, "SIGTERM");
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
  killAllNow();
}

/** Last resort from a synchronous 'exit' handler. */
export function killAllNow() {
  for (const pid of groups) killGroup(pid, "SIGKILL");
  groups.clear();
}
