// Runs the project's wrangler (or the one named by $WRANGLER, as the tests do) with the
// chosen config and environment. Output is captured, never echoed: callers decide what to
// print, and a secret's value only ever travels on stdin.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A failed step: what went wrong and what the operator should do about it. */
export class DeployError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}

/** The command line that starts wrangler: $WRANGLER, else node_modules/.bin/wrangler. */
function command() {
  const bin = process.env.WRANGLER || join(ROOT, "node_modules", ".bin", "wrangler");
  // A script path runs on this Node, so a fake wrangler needs no executable bit.
  return /\.[cm]?js$/.test(bin) ? [process.execPath, bin] : [bin];
}

/** Makes a runner bound to one config file and wrangler environment. */
export function wranglerRunner(configPath, env) {
  const scope = ["--config", configPath, ...(env ? ["--env", env] : [])];
  return (args, { input, extraEnv } = {}) =>
    new Promise((resolve, reject) => {
      const [bin, ...pre] = command();
      const child = spawn(bin, [...pre, ...args, ...scope], {
        env: { ...process.env, ...extraEnv },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("error", (err) =>
        reject(
          new DeployError(
            `could not start wrangler (${bin}): ${err.message}`,
            "run `npm install` in the project first (or point $WRANGLER at a wrangler executable)",
          ),
        ),
      );
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
}

/** The last lines of wrangler's output, to quote in an error message. */
export function tail(result, lines = 8) {
  return `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join("\n");
}
