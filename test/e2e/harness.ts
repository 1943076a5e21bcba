// End-to-end harness: runs the real gateway under `wrangler dev` (local D1, Queues and Durable
// Objects in workerd) with its own state folder, and real HTTP receivers on 127.0.0.1.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const E2E_ADMIN_TOKEN = "e2e-admin-token";
const ROOT = new URL("../..", import.meta.url).pathname;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Gateway {
  url: string;
  port: number;
  token: string;
  /** The state folder (--persist-to) this gateway runs on. */
  state: GatewayState;
  /** Authenticated JSON call to the gateway's API. */
  api(method: string, path: string, body?: unknown): Promise<Response>;
  /** The gateway's log so far (stdout + stderr), for failure messages. */
  log(): string;
  /** SIGKILL of wrangler's whole process group (wrangler, workerd, esbuild): a crash. Keeps the state. */
  kill(): Promise<void>;
  /** Stops wrangler (SIGTERM, then SIGKILL) and, for a gateway from startGateway, removes its state. */
  stop(): Promise<void>;
}

/** A state folder with migrations applied and the vars file wrangler dev reads. */
export interface GatewayState {
  dir: string;
  persistTo: string;
  envFile: string;
  vars: Record<string, string>;
  /** Removes the folder (stop every gateway on it first). */
  remove(): void;
}

function writeEnvFile(path: string, vars: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
  );
}

/**
 * Creates a fresh state folder with the D1 migrations applied. `vars` override the defaults
 * below (which make retries fast and allow private destinations for local receivers).
 */
export async function createState(vars: Record<string, string> = {}): Promise<GatewayState> {
  const dir = mkdtempSync(join(tmpdir(), "edgehook-e2e-"));
  const persistTo = join(dir, "state");
  const envFile = join(dir, "e2e.env");
  const allVars: Record<string, string> = {
    ADMIN_TOKEN: E2E_ADMIN_TOKEN,
    ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    ALLOW_PRIVATE_DESTINATIONS: "true",
    RETRY_SCHEDULE: "1,1,1",
    DELIVERY_TIMEOUT_MS: "2000",
    OPERATIONAL_WEBHOOK_URL: "",
    OPERATIONAL_WEBHOOK_SECRET: "whsec_ZTJlLW9wZXJhdGlvbmFsLXdlYmhvb2stc2VjcmV0",
    ...vars,
  };
  writeEnvFile(envFile, allVars);
  await promisify(execFile)(
    WRANGLER,
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo],
    { cwd: ROOT, env: { ...process.env, CI: "true" } },
  );
  return {
    dir,
    persistTo,
    envFile,
    vars: allVars,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Signals every process of the group `pgid`; false when the group has no process left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Runs SQL on a state folder's local D1 (stop its gateway first) and returns the rows. */
export async function queryD1<T>(state: GatewayState, sql: string): Promise<T[]> {
  const { stdout } = await promisify(execFile)(
    WRANGLER,
    ["d1", "execute", "DB", "--local", "--persist-to", state.persistTo, "--json", "--command", sql],
    { cwd: ROOT, env: { ...process.env, CI: "true" } },
  );
  const [result] = JSON.parse(stdout) as { results: T[] }[];
  return result?.results ?? [];
}

let launches = 0;

/**
 * Runs `wrangler dev` on an existing state folder (on `port`, else a free one) and waits until
 * it answers the health check. Its process group is its own (detached), so kill() reaches
 * workerd too. stop() leaves the state folder in place. `vars` change the state's vars for
 * this launch only (null leaves one out), as a redeploy with other secrets would.
 * `/__scheduled?cron=...` runs the scheduled handler (wrangler's --test-scheduled).
 * `configs` replaces wrangler.toml with these config files (the gateway's first, then workers
 * it binds to), run together by one wrangler dev.
 */
export async function launchGateway(
  state: GatewayState,
  opts: { port?: number; vars?: Record<string, string | null>; configs?: string[] } = {},
): Promise<Gateway> {
  const port = opts.port ?? (await freePort());
  const inspector = await freePort();
  let envFile = state.envFile;
  if (opts.vars) {
    const vars: Record<string, string> = { ...state.vars };
    for (const [k, v] of Object.entries(opts.vars)) {
      if (v === null) delete vars[k];
      else vars[k] = v;
    }
    envFile = join(state.dir, `launch-${++launches}.env`);
    writeEnvFile(envFile, vars);
  }
  const child: ChildProcess = spawn(
    WRANGLER,
    [
      "dev",
      ...(opts.configs ?? []).flatMap((c) => ["-c", c]),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state.persistTo,
      "--env-file",
      envFile,
      "--test-scheduled",
      "--show-interactive-dev-session=false",
      "--log-level",
      // E2E_LOG_LEVEL=info also logs every queue batch ("QUEUE edgehook-deliveries 3/3 (120ms)").
      process.env.E2E_LOG_LEVEL ?? "warn",
    ],
    { cwd: ROOT, env: { ...process.env, CI: "true", NO_COLOR: "1" }, detached: true, stdio: "pipe" },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;
  let killed = false;
  const kill = async () => {
    const pgid = child.pid;
    if (pgid === undefined || killed) return;
    killed = true;
    // The whole group: wrangler's children (workerd) outlive a SIGKILL of wrangler alone.
    signalGroup(pgid, "SIGKILL");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    // Until no process of the group is left (workerd is reaped once wrangler is gone).
    const deadline = Date.now() + 10_000;
    while (signalGroup(pgid, 0)) {
      if (Date.now() > deadline) throw new Error(`process group ${pgid} still has processes after SIGKILL`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const pgid = child.pid;
    if (pgid === undefined || killed) return;
    if (running()) {
      signalGroup(pgid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // Whatever is left of the group (also after wrangler itself exited).
    killed = true;
    signalGroup(pgid, "SIGKILL");
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (!running()) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    token: E2E_ADMIN_TOKEN,
    state,
    api: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${E2E_ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    log: () => output,
    kill,
    stop,
  };
}

/** A gateway on a fresh state folder; stop() also removes the folder. */
export async function startGateway(vars: Record<string, string> = {}): Promise<Gateway> {
  const state = await createState(vars);
  let gateway: Gateway;
  try {
    gateway = await launchGateway(state);
  } catch (err) {
    state.remove();
    throw err;
  }
  const stopOnly = gateway.stop;
  return {
    ...gateway,
    stop: async () => {
      await stopOnly();
      state.remove();
    },
  };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /**
   * Waits until `predicate(requests)` holds, or throws after `timeoutMs`; the error carries the
   * tail of `gateway`'s log when one is given.
   */
  waitFor(
    predicate: (requests: ReceivedRequest[]) => boolean,
    timeoutMs?: number,
    gateway?: Pick<Gateway, "log">,
  ): Promise<void>;
  close(): Promise<void>;
}

export type Responder = (
  req: ReceivedRequest,
  index: number,
) =>
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  | Promise<{ status: number; body?: string; headers?: Record<string, string>; delayMs?: number }>;

/**
 * A real receiver on 127.0.0.1 that records every request and answers via `respond`: HTTP, or
 * HTTPS with `tls` (a key and a certificate, e.g. from a test CA).
 */
export async function startReceiver(
  respond: Responder = () => ({ status: 200 }),
  opts: { tls?: { key: Buffer; cert: Buffer } } = {},
): Promise<Receiver & { port: number }> {
  const requests: ReceivedRequest[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        receivedAt: Date.now(),
      };
      const index = requests.push(received) - 1;
      const answer = await respond(received, index);
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status, answer.headers ?? { "content-type": "text/plain" });
      res.end(answer.body ?? "ok");
    });
  };
  const server: Server = opts.tls ? createHttpsServer(opts.tls, listener) : createServer(listener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    requests,
    async waitFor(predicate, timeoutMs = 30_000, gateway) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) {
          const log = gateway ? `\ngateway log (tail):\n${gateway.log().slice(-6000)}` : "";
          throw new Error(
            `receiver: condition not met within ${timeoutMs} ms (${requests.length} requests)${log}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
