import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// `npm run deploy` (scripts/deploy.mjs) against test/deploy/fake-wrangler.mjs: a fake account
// in a JSON file, on a copy of wrangler.toml in a temp dir. A local server stands in for the
// deployed worker's /api/v1/health.

const ROOT = resolve(__dirname, "../..");
const FAKE = join(ROOT, "test/deploy/fake-wrangler.mjs");
const MIGRATIONS = ["0001_init.sql", "0002_event_type_groups.sql", "0003_data_plane_to_log_objects.sql"];
const ALL_MIGRATIONS = [...MIGRATIONS, "0004_idempotency.sql"];

interface Invocation {
  argv: string[];
  stdinBytes: number;
}
interface FakeState {
  loggedIn: boolean;
  url: string;
  failOn?: string;
  databases: { uuid: string; name: string }[];
  queues: string[];
  workers: Record<string, { secrets: Record<string, string>; deployments: number }>;
  migrations: Record<string, string[]>;
  deployments: { worker: string; databases: string[] }[];
  invocations: Invocation[];
}

let server: Server;
let url: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/api/v1/health") res.writeHead(200).end('{"database":{"status":"ok"}}');
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A fresh fake account and a copy of the project config with the first migrations only. */
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "edgehook-deploy-"));
  cpSync(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  for (const m of MIGRATIONS) cpSync(join(ROOT, "migrations", m), join(dir, "migrations", m));
  writeState({
    loggedIn: true,
    url,
    databases: [],
    queues: [],
    workers: {},
    migrations: {},
    deployments: [],
    invocations: [],
  });
});

const statePath = () => join(dir, "account.json");
const readState = (): FakeState => JSON.parse(readFileSync(statePath(), "utf8"));
const writeState = (s: FakeState) => writeFileSync(statePath(), JSON.stringify(s));
const update = (f: (s: FakeState) => void) => {
  const s = readState();
  f(s);
  writeState(s);
};

function runDeploy(...args: string[]): Promise<{ code: number; out: string }> {
  return runDeployWith({}, ...args);
}

function runDeployWith(
  extraEnv: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts/deploy.mjs"), "--config", join(dir, "wrangler.toml"), ...args],
      {
        cwd: dir,
        env: {
          ...process.env,
          WRANGLER: FAKE,
          FAKE_WRANGLER_STATE: statePath(),
          EDGEHOOK_HEALTH_ATTEMPTS: "1",
          ...extraEnv,
        },
      },
      (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

/** The invocations whose leading words are the given command, e.g. "queues create". */
const calls = (s: FakeState, command: string) =>
  s.invocations.filter((i) =>
    i.argv
      .filter((a) => !a.startsWith("-"))
      .join(" ")
      .startsWith(command),
  );

const SECRETS = ["ADMIN_TOKEN", "ENCRYPTION_KEY", "OPERATIONAL_WEBHOOK_SECRET"];

describe("npm run deploy", () => {
  it("installs on a fresh account, then upgrades without creating or setting anything", async () => {
    const first = await runDeploy();
    expect(first.out).toContain("Edgehook is running at");
    expect(first.code).toBe(0);
    let s = readState();
    expect(s.databases.map((d) => d.name)).toEqual(["edgehook"]);
    const uuid = s.databases[0]?.uuid ?? "";
    expect(readFileSync(join(dir, "wrangler.toml"), "utf8")).toContain(`database_id = "${uuid}"`);
    expect(s.queues.sort()).toEqual(["edgehook-deliveries", "edgehook-deliveries-dlq"]);
    expect(Object.keys(s.workers.edgehook?.secrets ?? {}).sort()).toEqual(SECRETS);
    expect(s.migrations.edgehook).toEqual(MIGRATIONS);
    expect(s.deployments).toEqual([{ worker: "edgehook", databases: [uuid] }]);
    expect(first.out).toContain(`${url}/docs`);
    expect(first.out).toContain("svix.application.create");
    const secrets = { ...s.workers.edgehook?.secrets };
    expect(secrets.ENCRYPTION_KEY && Buffer.from(secrets.ENCRYPTION_KEY, "base64").length).toBe(32);
    expect(secrets.OPERATIONAL_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(calls(s, "secret put").every((i) => i.stdinBytes > 0)).toBe(true);

    cpSync(
      join(ROOT, "migrations", ALL_MIGRATIONS[3] ?? ""),
      join(dir, "migrations", ALL_MIGRATIONS[3] ?? ""),
    );
    update((st) => {
      st.invocations = [];
    });
    const second = await runDeploy();
    expect(second.code).toBe(0);
    s = readState();
    expect(calls(s, "d1 create")).toEqual([]);
    expect(calls(s, "queues create")).toEqual([]);
    expect(calls(s, "secret put")).toEqual([]);
    expect(s.databases).toHaveLength(1);
    expect(s.workers.edgehook?.secrets).toEqual(secrets);
    expect(s.migrations.edgehook).toEqual(ALL_MIGRATIONS);
    expect(s.deployments).toHaveLength(2);
    expect(second.out).toContain("ADMIN_TOKEN was already set and is unchanged");

    // Secrets went on stdin only; the admin token is printed once, on the first run.
    const argv = JSON.stringify(s.invocations.map((i) => i.argv));
    for (const value of Object.values(secrets)) {
      expect(argv).not.toContain(value);
      expect(second.out).not.toContain(value);
    }
    expect(first.out.split(secrets.ADMIN_TOKEN ?? "-").length - 1).toBe(1);
    expect(first.out).not.toContain(secrets.ENCRYPTION_KEY);
    expect(first.out).not.toContain(secrets.OPERATIONAL_WEBHOOK_SECRET);
  });

  it("stops with the login steps and creates nothing when wrangler is not logged in", async () => {
    update((s) => {
      s.loggedIn = false;
    });
    const run = await runDeploy();
    expect(run.code).toBe(1);
    expect(run.out).toContain("not logged in");
    expect(run.out).toContain("wrangler login");
    expect(run.out).toContain("CLOUDFLARE_API_TOKEN");
    expect(run.out).toContain("D1 Edit");
    const s = readState();
    expect(s.invocations.map((i) => i.argv[0])).toEqual(["whoami"]);
    expect(s.databases).toEqual([]);
    expect(s.queues).toEqual([]);
  });

  it("says what failed when a creation fails halfway, and a re-run finishes without duplicates", async () => {
    update((s) => {
      s.failOn = "queues create edgehook-deliveries-dlq";
    });
    const failed = await runDeploy();
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("could not create the queue edgehook-deliveries-dlq");
    expect(failed.out).toContain("npm run deploy");
    let s = readState();
    expect(s.queues).toEqual(["edgehook-deliveries"]);
    expect(s.workers).toEqual({});
    expect(s.deployments).toEqual([]);

    const rerun = await runDeploy();
    expect(rerun.code).toBe(0);
    s = readState();
    expect(s.databases).toHaveLength(1);
    expect(s.queues.sort()).toEqual(["edgehook-deliveries", "edgehook-deliveries-dlq"]);
    expect(calls(s, "queues create edgehook-deliveries")).toHaveLength(3);
    expect(calls(s, "d1 create")).toHaveLength(1);
    expect(Object.keys(s.workers.edgehook?.secrets ?? {}).sort()).toEqual(SECRETS);
    expect(s.deployments).toHaveLength(1);
  });

  it("finds a database created by a run that stopped before writing its id", async () => {
    update((s) => {
      s.databases.push({ uuid: "11111111-2222-3333-4444-555555555555", name: "edgehook" });
    });
    const run = await runDeploy();
    expect(run.code).toBe(0);
    const s = readState();
    expect(calls(s, "d1 create")).toEqual([]);
    expect(readFileSync(join(dir, "wrangler.toml"), "utf8")).toContain(
      'database_id = "11111111-2222-3333-4444-555555555555"',
    );
  });

  it("under Workers Builds (the Deploy button) neither generates nor prints a secret", async () => {
    const run = await runDeployWith({ WORKERS_CI: "1" });
    expect(run.code).toBe(0);
    const s = readState();
    expect(calls(s, "secret")).toEqual([]);
    expect(s.workers.edgehook?.secrets ?? {}).toEqual({});
    expect(run.out).not.toContain("shown this once");
    expect(s.deployments).toHaveLength(1);
  });

  it("keeps a secret that is already set and an ENCRYPTION_KEYS keyring", async () => {
    update((s) => {
      s.workers.edgehook = { secrets: { ADMIN_TOKEN: "mine", ENCRYPTION_KEYS: "k1:abc" }, deployments: 0 };
    });
    const run = await runDeploy();
    expect(run.code).toBe(0);
    const s = readState();
    expect(calls(s, "secret put").map((i) => i.argv[2])).toEqual(["OPERATIONAL_WEBHOOK_SECRET"]);
    expect(s.workers.edgehook?.secrets.ADMIN_TOKEN).toBe("mine");
    expect(run.out).not.toContain("shown this once");
  });

  it("prints a generated admin token even when a later step fails, and the re-run keeps it", async () => {
    update((s) => {
      s.failOn = "secret put ENCRYPTION_KEY";
    });
    const failed = await runDeploy();
    expect(failed.code).toBe(1);
    expect(failed.out).toContain("could not set the secret ENCRYPTION_KEY");
    const token = readState().workers.edgehook?.secrets.ADMIN_TOKEN ?? "";
    expect(token.length).toBeGreaterThan(30);
    expect(failed.out).toContain(token);

    const rerun = await runDeploy();
    expect(rerun.code).toBe(0);
    const s = readState();
    expect(calls(s, "secret put ADMIN_TOKEN")).toHaveLength(1);
    expect(s.workers.edgehook?.secrets.ADMIN_TOKEN).toBe(token);
    expect(rerun.out).not.toContain(token);
    expect(Object.keys(s.workers.edgehook?.secrets ?? {}).sort()).toEqual(SECRETS);
  });

  it("passes --env through and uses that environment's resource names", async () => {
    const toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
    writeFileSync(
      join(dir, "wrangler.toml"),
      `${toml}
[[env.staging.d1_databases]]
binding = "DB"
database_name = "edgehook-staging"
migrations_dir = "migrations"

[[env.staging.queues.producers]]
binding = "DELIVERIES"
queue = "staging-deliveries"

[[env.staging.queues.consumers]]
queue = "staging-deliveries"
dead_letter_queue = "staging-dlq"
`,
    );
    const run = await runDeploy("--env", "staging");
    expect(run.code).toBe(0);
    const s = readState();
    expect(s.databases.map((d) => d.name)).toEqual(["edgehook-staging"]);
    expect(s.queues.sort()).toEqual(["staging-deliveries", "staging-dlq"]);
    expect(Object.keys(s.workers)).toEqual(["edgehook-staging"]);
    expect(s.invocations.every((i) => i.argv.includes("--env") && i.argv.includes("staging"))).toBe(true);
    const written = readFileSync(join(dir, "wrangler.toml"), "utf8");
    expect(written).toContain('database_id = "00000000-0000-0000-0000-000000000000"');
    expect(written).toContain(`database_id = "${s.databases[0]?.uuid}"`);
  });

  it("reports an unhealthy deployment with what to do", async () => {
    update((s) => {
      s.url = `${url}/nowhere`;
    });
    const run = await runDeploy();
    expect(run.code).toBe(1);
    expect(run.out).toContain("/nowhere/api/v1/health");
    expect(run.out).toContain("wrangler tail");
  });
});
