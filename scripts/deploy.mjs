// `npm run deploy [-- --env <name>] [-- --config <path>]`: from a fresh clone to a running
// gateway. Checks the login, creates the D1 database and queues the config names when they
// are missing (writing the database id into the config), generates the secrets not set yet,
// applies the remote D1 migrations, deploys and calls /api/v1/health. Re-running upgrades:
// nothing is created twice and no secret is changed. (predeploy copies the /docs assets and builds the /portal ones.)
import { resolve } from "node:path";
import { readDeployConfig } from "./deploy/config.mjs";
import {
  applyMigrations,
  checkAuth,
  checkHealth,
  deploy,
  ensureDatabases,
  ensureQueues,
  ensureSecrets,
} from "./deploy/steps.mjs";
import { DeployError, wranglerRunner } from "./deploy/wrangler.mjs";

const USAGE = "usage: npm run deploy [-- --env <name>] [--config <path to wrangler.toml>]";

/** --env/-e and --config/-c, in the `--x v` or `--x=v` forms wrangler accepts. */
function parseArgs(argv) {
  const opts = { env: undefined, config: "wrangler.toml" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split(/=(.*)/s);
    const key = { "--env": "env", "-e": "env", "--config": "config", "-c": "config" }[flag];
    const value = inline ?? argv[++i];
    if (!key || !value) throw new DeployError(`unknown or incomplete argument ${arg}`, USAGE);
    opts[key] = value;
  }
  return opts;
}

const log = (line) => console.log(`  ${line}`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const configPath = resolve(opts.config);
  let cfg;
  try {
    cfg = readDeployConfig(configPath, opts.env);
  } catch (err) {
    throw new DeployError(`cannot read the config: ${err.message}`, "fix wrangler.toml (README, Deploy)");
  }
  const wrangler = wranglerRunner(configPath, opts.env);
  const ctx = { configPath, env: opts.env, log };
  console.log(`Deploying ${cfg.worker}${opts.env ? ` (env ${opts.env})` : ""} from ${configPath}`);

  log(`logged in as ${await checkAuth(wrangler)}`);
  await ensureDatabases(wrangler, cfg, ctx);
  await ensureQueues(wrangler, cfg, ctx);
  // Workers Builds (the Deploy button, or a push to a connected repository) sets WORKERS_CI=1:
  // its secrets come from the setup page or the dashboard, and its build log is visible to the
  // repository's collaborators, so nothing is generated or printed there.
  let adminToken = null;
  if (process.env.WORKERS_CI === "1") log("Workers Builds: secrets are set on the dashboard; none generated");
  else adminToken = await ensureSecrets(wrangler, ctx);
  await applyMigrations(wrangler, cfg, ctx);
  const url = await deploy(wrangler, ctx);
  if (!url) {
    throw new DeployError(
      "wrangler deploy printed no URL for the worker, so its health was not checked",
      "enable workers_dev or add a route in wrangler.toml, then open <your URL>/api/v1/health",
    );
  }
  const attempts = Number(process.env.EDGEHOOK_HEALTH_ATTEMPTS) || undefined;
  const delayMs = Number(process.env.EDGEHOOK_HEALTH_DELAY_MS) || undefined;
  log(`health: ${await checkHealth(url, { attempts, delayMs })}`);
  printNext(url, adminToken);
}

function printNext(url, adminToken) {
  console.log(`\nEdgehook is running at ${url}`);
  console.log(`API docs: ${url}/docs`);
  if (!adminToken) console.log("ADMIN_TOKEN was already set and is unchanged.");
  const token = adminToken ? "<the ADMIN_TOKEN printed above>" : "<your ADMIN_TOKEN>";
  console.log("\nNext, create an application:");
  console.log(
    `  curl -X POST ${url}/api/v1/app/ -H "Authorization: Bearer ${token}" ` +
      `-H "Content-Type: application/json" -d '{"name": "My app"}'`,
  );
  console.log("or with the svix client (npm install svix):");
  console.log(`  const svix = new Svix("${token}", { serverUrl: "${url}" });`);
  console.log(`  await svix.application.create({ name: "My app" });`);
}

main().catch((err) => {
  if (!(err instanceof DeployError)) throw err;
  console.error(`\n✘ ${err.message}`);
  if (err.hint) console.error(`  What to do: ${err.hint}`);
  process.exitCode = 1;
});
