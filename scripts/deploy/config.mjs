// What the deploy script needs from wrangler.toml, for the top level or one [env.<name>]:
// bindings are not inherited by wrangler environments, so an environment's resources are
// read from its own section only (as wrangler itself does).
import { readFileSync } from "node:fs";
import { parseToml } from "./toml.mjs";

export const ZERO_ID = "00000000-0000-0000-0000-000000000000";

/** The worker name, the D1 databases and the queue names deploying `env` would use. */
export function readDeployConfig(path, env) {
  const root = parseToml(readFileSync(path, "utf8"));
  const section = env ? root.env?.[env] : root;
  if (!section) throw new Error(`${path} has no [env.${env}] section`);
  const where = env ? `[env.${env}]` : "the top level";
  const databases = (section.d1_databases ?? []).map((db) => ({
    binding: db.binding,
    name: db.database_name,
    id: db.database_id && db.database_id !== ZERO_ID ? db.database_id : null,
    migrationsDir: db.migrations_dir ?? "migrations",
  }));
  if (databases.length === 0) throw new Error(`${path} declares no d1_databases at ${where}`);
  const missingName = databases.find((db) => !db.name);
  if (missingName) throw new Error(`the d1_databases binding ${missingName.binding} has no database_name`);
  return {
    worker: section.name ?? (env ? `${root.name}-${env}` : root.name),
    databases,
    queues: queueNames(section.queues ?? {}),
  };
}

/** Every queue the config produces to, consumes from or dead-letters into, once each. */
function queueNames(queues) {
  const names = [
    ...(queues.producers ?? []).map((p) => p.queue),
    ...(queues.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue]),
  ];
  return [...new Set(names.filter(Boolean))];
}
