import {
  type ApplicationRow,
  type ApplicationSettings,
  deleteApplication,
  getApplication,
  insertApplication,
  listApplications,
  updateApplication,
} from "../db/applications";
import { conflict, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { isUniqueViolation } from "../lib/json";
import type { PageRequest } from "../lib/pagination";
import { allShards, configChanged } from "../log/client";
import { forgetApplication } from "./ingest-cache";
import { checkUidShape } from "./uid-rules";

export interface ApplicationInput {
  name: string;
  uid?: string | null;
  throttleRate?: number | null;
  metadata?: Record<string, string>;
  egressRelay?: boolean;
}

/** The egress_relay column a request writes; undefined (not named) leaves it as it is. */
const egressRelayColumn = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);

/** A page of applications (Svix pagination). */
export const listApplicationPage = (db: D1Database, page: PageRequest) => listApplications(db, page);

/** The application named by id or uid, or a 404. Every app-scoped route starts here. */
export async function requireApplication(db: D1Database, idOrUid: string): Promise<ApplicationRow> {
  const app = await getApplication(db, idOrUid);
  if (!app) throw notFound("Application");
  return app;
}

/**
 * The application named by id or uid, created from `input` when it names none (Svix's
 * "optionally creates the application"): see createApplicationForPath.
 */
export async function requireOrCreateApplication(
  env: Env,
  idOrUid: string,
  input: ApplicationInput | null,
): Promise<ApplicationRow> {
  return (await getApplication(env.DB, idOrUid)) ?? createApplicationForPath(env, idOrUid, input);
}

/**
 * Creates the application a path names when it names none yet, as MessageIn.application and
 * AppPortalAccessIn.application do: with the body's uid, else the path's. An unknown `app_` id
 * without a body uid is a 404, never a new random application; a path uid with another body uid
 * is a 422. Concurrent calls create one (getIfExists answers the winner's).
 */
export async function createApplicationForPath(
  env: Env,
  idOrUid: string,
  input: ApplicationInput | null,
): Promise<ApplicationRow> {
  if (!input) throw notFound("Application");
  const bodyUid = input.uid ?? null;
  checkUidShape(bodyUid, ["body", "application", "uid"]);
  const pathIsId = idOrUid.startsWith("app_");
  // A path uid and another body uid name two applications: which one is meant is unclear.
  if (bodyUid && !pathIsId && bodyUid !== idOrUid) {
    throw invalid(["body", "application", "uid"], `must be the path's uid "${idOrUid}" (or omitted)`);
  }
  const uid = bodyUid ?? (pathIsId ? null : idOrUid);
  if (!uid) throw notFound("Application");
  return (await createApplication({ env, input: { ...input, uid }, getIfExists: true })).app;
}

/** Runs an application write and answers its RETURNING row (null without one). */
async function run(stmt: D1PreparedStatement, uid: string | null | undefined) {
  try {
    return await stmt.first<ApplicationRow>();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`An application with uid "${uid}" already exists`);
    throw err;
  }
}

/**
 * Creates an application. With getIfExists an existing uid answers the existing application,
 * also when a concurrent request created it between this one's read and its insert.
 */
export async function createApplication({
  env,
  input,
  getIfExists,
}: {
  env: Env;
  input: ApplicationInput;
  getIfExists: boolean;
}): Promise<{ app: ApplicationRow; created: boolean }> {
  checkUidShape(input.uid, ["body", "uid"]);
  const db = env.DB;
  const existing = await existingByUid(db, input.uid, getIfExists);
  if (existing) return { app: existing, created: false };
  const now = Date.now();
  const app: ApplicationRow = {
    id: newId("app", now),
    uid: input.uid ?? null,
    name: input.name,
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    egress_relay: input.egressRelay ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  try {
    await insertApplication(db, app).run();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Lost the race to a concurrent create of the same uid: answer as if that one came first.
    const winner = await existingByUid(db, input.uid, getIfExists);
    if (winner) return { app: winner, created: false };
    throw conflict(`An application with uid "${input.uid}" already exists`);
  }
  return { app, created: true };
}

/** The application holding `uid`, when there is one and getIfExists accepts it; else a 409. */
async function existingByUid(
  db: D1Database,
  uid: string | null | undefined,
  getIfExists: boolean,
): Promise<ApplicationRow | null> {
  const existing = uid ? await getApplication(db, uid) : null;
  if (existing && !getIfExists) throw conflict(`An application with uid "${uid}" already exists`);
  return existing;
}

/** PUT semantics: every field is replaced; an unknown id with a uid-shaped value is created. */
export async function replaceApplication({
  env,
  idOrUid,
  input,
}: {
  env: Env;
  idOrUid: string;
  input: ApplicationInput;
}): Promise<{ app: ApplicationRow; created: boolean }> {
  const existing = await getApplication(env.DB, idOrUid);
  if (!existing) {
    // Svix's update upserts: PUT on an unknown uid creates the application with that uid.
    if (idOrUid.startsWith("app_")) throw notFound("Application");
    return createApplication({ env, input: { ...input, uid: input.uid ?? idOrUid }, getIfExists: false });
  }
  checkUidShape(input.uid, ["body", "uid"]);
  // egressRelay is Edgehook's: a Svix client's PUT does not know it, so leaving it out keeps it.
  const app = await saved(env, existing, {
    uid: input.uid ?? null,
    name: input.name,
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    egress_relay: egressRelayColumn(input.egressRelay),
  });
  return { app, created: false };
}

/**
 * Writes a changed application, then makes every isolate and log object read it again: the
 * uid and throttle rate route and limit the next message.
 */
async function saved(
  env: Env,
  existing: ApplicationRow,
  settings: ApplicationSettings,
): Promise<ApplicationRow> {
  const uid = settings.uid === undefined ? existing.uid : settings.uid;
  const app = await run(updateApplication(env.DB, existing.id, settings, Date.now()), uid);
  forgetApplication(existing.id);
  if (existing.uid) forgetApplication(existing.uid);
  if (!app) throw notFound("Application");
  await configChanged(env, app.id);
  return app;
}

export async function patchApplication({
  env,
  idOrUid,
  input,
}: {
  env: Env;
  idOrUid: string;
  input: Partial<ApplicationInput>;
}): Promise<ApplicationRow> {
  checkUidShape(input.uid, ["body", "uid"]);
  const existing = await requireApplication(env.DB, idOrUid);
  // Only the fields given are written; 0 clears the throttle rate.
  return saved(env, existing, {
    uid: input.uid,
    name: input.name,
    throttle_rate: input.throttleRate === undefined ? undefined : input.throttleRate || null,
    metadata: input.metadata === undefined ? undefined : JSON.stringify(input.metadata),
    egress_relay: egressRelayColumn(input.egressRelay),
  });
}

/**
 * Deletes the application: its D1 rows first (two small statements), then everything its log
 * objects hold. A log object that misses the call finds the application gone at its next
 * alarm and empties itself.
 */
export async function removeApplication({ env, idOrUid }: { env: Env; idOrUid: string }) {
  const app = await requireApplication(env.DB, idOrUid);
  await deleteApplication(env.DB, app.id);
  forgetApplication(app.id);
  if (app.uid) forgetApplication(app.uid);
  await Promise.all(allShards(env, app.id).map((l) => l.stub.destroy()));
}
