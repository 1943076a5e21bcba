import {
  type ApplicationRow,
  deleteApplication,
  getApplication,
  insertApplication,
  updateApplication,
} from "../db/applications";
import { conflict, notFound } from "../errors";
import { newId } from "../lib/ids";
import { isUniqueViolation } from "../lib/json";

export interface ApplicationInput {
  name: string;
  uid?: string | null;
  throttleRate?: number | null;
  metadata?: Record<string, string>;
}

/** The application named by id or uid, or a 404. Every app-scoped route starts here. */
export async function requireApplication(db: D1Database, idOrUid: string): Promise<ApplicationRow> {
  const app = await getApplication(db, idOrUid);
  if (!app) throw notFound("Application");
  return app;
}

async function run(stmt: D1PreparedStatement, uid: string | null | undefined) {
  try {
    await stmt.run();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`An application with uid "${uid}" already exists`);
    throw err;
  }
}

export async function createApplication({
  db,
  input,
  getIfExists,
}: {
  db: D1Database;
  input: ApplicationInput;
  getIfExists: boolean;
}): Promise<{ app: ApplicationRow; created: boolean }> {
  if (input.uid) {
    const existing = await getApplication(db, input.uid);
    if (existing) {
      if (getIfExists) return { app: existing, created: false };
      throw conflict(`An application with uid "${input.uid}" already exists`);
    }
  }
  const now = Date.now();
  const app: ApplicationRow = {
    id: newId("app", now),
    uid: input.uid ?? null,
    name: input.name,
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    created_at: now,
    updated_at: now,
  };
  await run(insertApplication(db, app), app.uid);
  return { app, created: true };
}

/** PUT semantics: every field is replaced; an unknown id with a uid-shaped value is created. */
export async function replaceApplication({
  db,
  idOrUid,
  input,
}: {
  db: D1Database;
  idOrUid: string;
  input: ApplicationInput;
}): Promise<{ app: ApplicationRow; created: boolean }> {
  const existing = await getApplication(db, idOrUid);
  if (!existing) {
    // Svix's update upserts: PUT on an unknown uid creates the application with that uid.
    if (idOrUid.startsWith("app_")) throw notFound("Application");
    return createApplication({ db, input: { ...input, uid: input.uid ?? idOrUid }, getIfExists: false });
  }
  const app: ApplicationRow = {
    ...existing,
    uid: input.uid ?? null,
    name: input.name,
    throttle_rate: input.throttleRate ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    updated_at: Date.now(),
  };
  await run(updateApplication(db, app), app.uid);
  return { app, created: false };
}

export async function patchApplication({
  db,
  idOrUid,
  input,
}: {
  db: D1Database;
  idOrUid: string;
  input: Partial<ApplicationInput>;
}): Promise<ApplicationRow> {
  const existing = await requireApplication(db, idOrUid);
  const app: ApplicationRow = {
    ...existing,
    uid: input.uid === undefined ? existing.uid : input.uid,
    name: input.name ?? existing.name,
    throttle_rate: input.throttleRate === undefined ? existing.throttle_rate : input.throttleRate || null,
    metadata: input.metadata === undefined ? existing.metadata : JSON.stringify(input.metadata),
    updated_at: Date.now(),
  };
  await run(updateApplication(db, app), app.uid);
  return app;
}

export async function removeApplication({ db, idOrUid }: { db: D1Database; idOrUid: string }) {
  const app = await requireApplication(db, idOrUid);
  await deleteApplication(db, app.id);
}
