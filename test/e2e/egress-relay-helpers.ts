// Helpers of the egress relay e2e tests: the real relay program (relay/main.mjs) as a child
// process, a test CA made with the openssl command, and an https receiver on a certificate of it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./harness";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface RelayProcess {
  url: string;
  lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `node relay/main.mjs` on a free port with `env` added, and waits for its `listening` line. */
export async function startRelay(env: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "relay/main.mjs")], {
    env: { ...process.env, RELAY_LISTEN_HOST: "127.0.0.1", RELAY_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let errors = "";
  child.stderr?.on("data", (c: Buffer) => {
    errors += c.toString();
  });
  let partial = "";
  child.stdout?.on("data", (c: Buffer) => {
    partial += c.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const deadline = Date.now() + 10_000;
  while (!lines.some((l) => l.event === "listening")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`relay did not start: ${errors}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${env.RELAY_TLS_CERT_FILE ? "https" : "http"}://127.0.0.1:${port}`,
    lines,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface TestCa {
  /** The CA certificate's file (for NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** The server's key and certificate (PEM), for `names` (subjectAltName DNS entries). */
  key: Buffer;
  cert: Buffer;
  keyFile: string;
  certFile: string;
  remove(): void;
}

/**
 * A fresh CA and a server certificate it signs for `names` and the address 127.0.0.1, made
 * with the openssl command.
 */
export function makeTestCa(names: string[]): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "edgehook-relay-ca-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=Test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  writeFileSync(
    join(dir, "ext.cnf"),
    `subjectAltName=${[...names.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",")}\n`,
  );
  const cn = `/CN=${names[0] ?? "localhost"}`;
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", cn, "-keyout", "srv.key", "-out", "srv.csr");
  openssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "srv.pem",
  );
  return {
    caFile: join(dir, "ca.pem"),
    key: readFileSync(join(dir, "srv.key")),
    cert: readFileSync(join(dir, "srv.pem")),
    keyFile: join(dir, "srv.key"),
    certFile: join(dir, "srv.pem"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
