// Runs before `npm run dev`: writes .dev.vars with local development values when missing and
// applies the D1 migrations to the local database, so a fresh clone starts with one command.
import { execFileSync } from "node:child_process";
import { ensureDevVars } from "./dev-vars.mjs";

if (ensureDevVars()) console.log("created .dev.vars (local development values, scripts/dev-vars.mjs)");
execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
