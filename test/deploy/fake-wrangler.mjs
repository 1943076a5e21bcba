#!/usr/bin/env node
// A stand-in for wrangler in the deploy script's tests: a fake Cloudflare account kept in the
// JSON file $FAKE_WRANGLER_STATE (databases, queues, workers with their secrets, applied
// migrations, deployments). It records every invocation (argv, and how many bytes came on
// stdin), prints what wrangler 4.164 prints for the commands the script uses, and fails the
// command whose words start with state.failOn (then clears it, as a transient error would).
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readDeployConfig } from "../../scripts/deploy/config.mjs";

const statePath = process.env.FAKE_WRANGLER_STATE;
const state = JSON.parse(readFileSync(statePath, "utf8"));
const argv = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readFileSync(0, "utf8");
state.invocations.push({ argv, stdinBytes: stdin.length });

const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const words = argv.filter((a, i) => !a.startsWith("-") && !argv[i - 1]?.match(/^--(config|env|format)$/));
const configPath = resolve(flag("--config") ?? "wrangler.toml");
const env = flag("--env");

function done(code, out = "", err = "") {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  if (out) process.stdout.write(`${out}\n`);
  if (err) process.stderr.write(`✘ [ERROR] ${err}\n`);
  process.exit(code);
}

const command = words.join(" ");
if (state.failOn && command.startsWith(state.failOn)) {
  delete state.failOn;
  done(1, "", `A request to the Cloudflare API failed. Internal server error [code: 10000]`);
}
if (!state.loggedIn) {
  if (command === "whoami") done(1, JSON.stringify({ loggedIn: false }));
  done(1, "", "Not logged in. Please run `wrangler login` to authenticate.");
}

const cfg = readDeployConfig(configPath, env);
const worker = () => (state.workers[cfg.worker] ??= { secrets: {}, deployments: 0 });
const handlers = {
  whoami: () =>
    done(
      0,
      JSON.stringify({ loggedIn: true, authType: "User API Token", email: "dev@example.com", accounts: [] }),
    ),
  "d1 list": () => done(0, JSON.stringify(state.databases, null, 2)),
  "d1 create": () => {
    const name = words[2];
    if (state.databases.some((d) => d.name === name)) {
      done(1, "", "A request to the Cloudflare API failed. database already exists [code: 7502]");
    }
    const db = { uuid: randomUUID(), name, created_at: new Date().toISOString(), version: "production" };
    state.databases.push(db);
    done(0, `✅ Successfully created DB '${name}'\nCreated your new D1 database.\n`);
  },
  "queues info": () => {
    const name = words[2];
    if (!state.queues.includes(name)) {
      done(1, "", `Queue "${name}" does not exist. To create it, run: wrangler queues create ${name}`);
    }
    done(0, `Queue Name: ${name}\nQueue ID: ${name}-id`);
  },
  "queues create": () => {
    const name = words[2];
    if (state.queues.includes(name)) done(1, "", "Queue name is already taken [code: 11009]");
    state.queues.push(name);
    done(0, `🌀 Creating queue '${name}'\n✅ Created queue '${name}'`);
  },
  "secret list": () => {
    if (!state.workers[cfg.worker]) {
      done(
        1,
        "",
        `Worker "${cfg.worker}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first.`,
      );
    }
    const list = Object.keys(worker().secrets).map((name) => ({ name, type: "secret_text" }));
    done(0, JSON.stringify(list, null, "  "));
  },
  "secret put": () => {
    const out = [`🌀 Creating the secret for the Worker "${cfg.worker}"`];
    if (!state.workers[cfg.worker]) out.unshift(`🌀 Creating new Worker "${cfg.worker}"...`);
    worker().secrets[words[2]] = stdin;
    done(0, [...out, `✨ Success! Uploaded secret ${words[2]}`].join("\n"));
  },
  "d1 migrations apply": () => {
    const db = cfg.databases.find((d) => d.name === words[3] || d.binding === words[3]);
    if (!db?.id || !state.databases.some((d) => d.uuid === db.id)) {
      done(1, "", `Couldn't find a D1 DB with the name or binding '${words[3]}' in your wrangler.toml file.`);
    }
    state.migrations[db.name] ??= [];
    const applied = state.migrations[db.name];
    const dir = join(dirname(configPath), db.migrationsDir);
    const pending = readdirSync(dir)
      .filter((f) => f.endsWith(".sql") && !applied.includes(f))
      .sort();
    if (pending.length === 0) done(0, "✅ No migrations to apply!");
    applied.push(...pending);
    done(0, ["Migrations to be applied:", ...pending.map((n) => `│ ${n} │ ✅ │`)].join("\n"));
  },
  deploy: () => {
    const missing = cfg.queues.find((q) => !state.queues.includes(q));
    if (missing)
      done(1, "", `Queue "${missing}" does not exist. To create it, run: wrangler queues create ${missing}`);
    worker().deployments++;
    state.deployments.push({ worker: cfg.worker, databases: cfg.databases.map((d) => d.id) });
    done(
      0,
      [
        "▲ [WARNING] a warning, as wrangler prints them, with a link:",
        "  https://developers.cloudflare.com/workers/",
        `Uploaded ${cfg.worker} (1.00 sec)`,
        `Deployed ${cfg.worker} triggers (0.50 sec)`,
        `  ${state.url}`,
        "  schedule: */5 * * * *",
        `Current Version ID: ${randomUUID()}`,
      ].join("\n"),
    );
  },
};
const handler =
  handlers[words.slice(0, 3).join(" ")] ?? handlers[words.slice(0, 2).join(" ")] ?? handlers[words[0]];
if (!handler) done(1, "", `the fake wrangler does not know \`${command}\``);
handler();
