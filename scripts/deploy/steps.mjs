// The steps of `npm run deploy`. Each one looks before it acts, so a run that stopped
// halfway is finished by running it again, and a second run creates and sets nothing.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { setD1DatabaseId } from "./toml.mjs";
import { DeployError, tail } from "./wrangler.mjs";

export const TOKEN_PERMISSIONS =
  "an API token made from the 'Edit Cloudflare Workers' template plus Account: D1 Edit and " +
  "Account: Queues Edit (set CLOUDFLARE_ACCOUNT_ID too when the token reaches several accounts)";

const RERUN = "then run `npm run deploy` again: what is already done is kept";

/** Fails unless wrangler is logged in or has CLOUDFLARE_API_TOKEN; returns the account label. */
export async function checkAuth(wrangler) {
  const res = await wrangler(["whoami", "--json"]);
  let who = null;
  try {
    who = JSON.parse(res.stdout);
  } catch {}
  if (res.code !== 0 || !who?.loggedIn) {
    throw new DeployError(
      "wrangler is not logged in to Cloudflare and CLOUDFLARE_API_TOKEN is not set (or is not valid).",
      `run \`npx wrangler login\`, or export CLOUDFLARE_API_TOKEN with ${TOKEN_PERMISSIONS}; ${RERUN}`,
    );
  }
  return who.email ?? who.accounts?.[0]?.name ?? "your account";
}

/** Creates each D1 database that does not exist yet and writes every id into the config. */
export async function ensureDatabases(wrangler, cfg, { configPath, env, log }) {
  let existing = await listDatabases(wrangler);
  for (const db of cfg.databases) {
    let found = existing.find((d) => d.name === db.name);
    if (!found) {
      log(`creating D1 database ${db.name}`);
      const res = await wrangler(["d1", "create", db.name]);
      if (res.code !== 0) fail(`could not create the D1 database ${db.name}`, res, needs("D1: Edit"));
      existing = await listDatabases(wrangler);
      found = existing.find((d) => d.name === db.name);
      if (!found) throw new DeployError(`D1 database ${db.name} was created but is not listed`, RERUN);
    } else log(`D1 database ${db.name} exists`);
    if (db.id !== found.uuid) {
      if (db.id) log(`  replacing database_id ${db.id} in the config with ${found.uuid}`);
      const text = readFileSync(configPath, "utf8");
      writeFileSync(configPath, setD1DatabaseId(text, env, db.name, found.uuid));
      log(`  wrote database_id = "${found.uuid}" into ${configPath}`);
      db.id = found.uuid;
    }
  }
}

async function listDatabases(wrangler) {
  const res = await wrangler(["d1", "list", "--json"]);
  if (res.code !== 0) fail("could not list the D1 databases", res, needs("D1: Edit"));
  try {
    return JSON.parse(res.stdout);
  } catch {
    throw new DeployError(`\`wrangler d1 list --json\` printed no JSON:\n${tail(res)}`, RERUN);
  }
}

/** Creates each queue the config names that does not exist yet. */
export async function ensureQueues(wrangler, cfg, { log }) {
  for (const name of cfg.queues) {
    const info = await wrangler(["queues", "info", name]);
    if (info.code === 0) {
      log(`queue ${name} exists`);
      continue;
    }
    if (!/does not exist/.test(info.stdout + info.stderr)) {
      fail(`could not look up the queue ${name}`, info, needs("Queues: Edit"));
    }
    log(`creating queue ${name}`);
    const res = await wrangler(["queues", "create", name]);
    if (res.code !== 0) fail(`could not create the queue ${name}`, res, needs("Queues: Edit"));
  }
}

/** Generators for the secrets the worker needs, by name. */
const GENERATED = {
  ADMIN_TOKEN: () => randomBytes(32).toString("base64url"),
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  OPERATIONAL_WEBHOOK_SECRET: () => `whsec_${randomBytes(32).toString("base64")}`,
};

/**
 * Sets each secret that is not set yet (an ENCRYPTION_KEYS keyring stands for
 * ENCRYPTION_KEY); never overwrites one. Returns the generated admin token, if any, after
 * printing it once.
 */
export async function ensureSecrets(wrangler, { log }) {
  const set = await listSecrets(wrangler);
  let adminToken = null;
  for (const [name, generate] of Object.entries(GENERATED)) {
    const present = set.has(name) || (name === "ENCRYPTION_KEY" && set.has("ENCRYPTION_KEYS"));
    if (present) {
      log(`secret ${name} is set (kept)`);
      continue;
    }
    const value = generate();
    log(`setting secret ${name} (generated)`);
    const res = await wrangler(["secret", "put", name], { input: value });
    if (res.code !== 0) fail(`could not set the secret ${name}`, res, needs("Workers Scripts: Edit"));
    if (name === "ADMIN_TOKEN") {
      // Printed at once, so a later failing step cannot lose it; never printed again.
      adminToken = value;
      log("ADMIN_TOKEN (shown this once, it is stored nowhere else: keep it in a password manager):");
      log(`  ${value}`);
    }
  }
  return adminToken;
}

/** The names of the worker's secrets; none when the worker does not exist yet. */
async function listSecrets(wrangler) {
  const res = await wrangler(["secret", "list", "--format", "json"]);
  if (res.code !== 0) {
    if (/Worker ".*?"( \(env: .*?\))? not found/.test(res.stdout + res.stderr)) return new Set();
    fail("could not list the worker's secrets", res, needs("Workers Scripts: Edit"));
  }
  try {
    return new Set(JSON.parse(res.stdout).map((s) => s.name));
  } catch {
    throw new DeployError(`\`wrangler secret list\` printed no JSON:\n${tail(res)}`, RERUN);
  }
}

/** Applies the D1 migrations not applied yet to each remote database. */
export async function applyMigrations(wrangler, cfg, { log }) {
  for (const db of cfg.databases) {
    log(`applying D1 migrations to ${db.name} (remote)`);
    // CI=true: answer wrangler's "continue?" prompt instead of waiting for a terminal.
    const res = await wrangler(["d1", "migrations", "apply", db.name, "--remote"], {
      extraEnv: { CI: "true" },
    });
    if (res.code !== 0)
      fail(
        `could not apply the D1 migrations to ${db.name}`,
        res,
        `fix the migration wrangler names, if it names one; ${needs("D1: Edit")}`,
      );
    const applied = res.stdout.includes("No migrations to apply") ? "none new" : "applied";
    log(`  migrations: ${applied}`);
  }
}

/** Deploys the worker and returns the first URL wrangler printed for it (null if none). */
export async function deploy(wrangler, { log }) {
  log("deploying the worker");
  const res = await wrangler(["deploy"]);
  if (res.code !== 0) fail("wrangler deploy failed", res, "fix what wrangler reports");
  // The worker's URLs are the indented lines after "Deployed <name> triggers" (warnings
  // printed before it may hold links too).
  const after = res.stdout.slice(Math.max(0, res.stdout.search(/^Deployed /m)));
  const url = /^\s+(https?:\/\/\S+)/m.exec(after)?.[1];
  return url ? url.replace(/\/+$/, "") : null;
}

/** Calls /api/v1/health until it answers 200 (a new workers.dev name can take a moment). */
export async function checkHealth(url, { attempts = 10, delayMs = 3000 } = {}) {
  let last = "";
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (res.ok) return body;
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = err.cause?.message ?? err.message;
    }
    if (i + 1 < attempts) await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new DeployError(
    `the deployed worker did not answer ${url}/api/v1/health with 200 (last: ${last})`,
    "read the worker's logs with `npx wrangler tail`; a 500 names the failed component. " +
      "A new workers.dev subdomain can take a few minutes to resolve: re-run `npm run deploy` later",
  );
}

function fail(what, res, advice) {
  throw new DeployError(`${what}. wrangler said:\n${tail(res)}`, `${advice}; ${RERUN}`);
}

function needs(permission) {
  return `a permission error means the token lacks ${permission} (needed: ${TOKEN_PERMISSIONS})`;
}
