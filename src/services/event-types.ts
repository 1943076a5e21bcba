import {
  deleteEventType,
  type EventTypeRow,
  getEventType,
  insertEventType,
  listEventTypes,
  updateEventType,
} from "../db/event-types";
import { conflict, notFound, ValidationFailure } from "../errors";
import { isUniqueViolation, parseJson } from "../lib/json";
import type { PageRequest } from "../lib/pagination";
import { forgetSchema } from "./ingest-cache";
import { schemasIssues } from "./schema-limits";

export type EventTypeSchemas = Record<string, Record<string, unknown>>;

export interface EventTypeInput {
  description: string;
  archived?: boolean;
  deprecated?: boolean;
  schemas?: EventTypeSchemas | null;
  /** The document's deprecated singular flag; `featureFlags` wins when both are given. */
  featureFlag?: string | null;
  featureFlags?: string[] | null;
  groupName?: string | null;
}

/**
 * A page of event types by name (Svix pagination); archived ones only when asked for. With
 * `featureFlags` (an app-portal token's), only the types whose flags are all among them.
 */
export const listEventTypePage = (
  db: D1Database,
  page: PageRequest,
  includeArchived: boolean,
  featureFlags: string[] | null = null,
) => listEventTypes(db, { ...page, includeArchived, featureFlags });

/** Whether a token with `featureFlags` sees the event type: it holds every flag of the type. */
function visible(row: EventTypeRow, featureFlags: string[] | null): boolean {
  if (featureFlags === null) return true;
  const needed = parseJson<string[] | null>(row.feature_flags, null) ?? [];
  if (row.feature_flag) needed.push(row.feature_flag);
  return needed.every((flag) => featureFlags.includes(flag));
}

/** The event type, or a 404; also a 404 when `featureFlags` (a portal token's) hide it. */
export async function requireEventType(
  db: D1Database,
  name: string,
  featureFlags: string[] | null = null,
): Promise<EventTypeRow> {
  const row = await getEventType(db, name);
  if (!row || !visible(row, featureFlags)) throw notFound("Event type");
  return row;
}

/** The column value for `schemas`, once within the save-time caps (a 422 naming the path if not). */
function schemasColumn(schemas: EventTypeSchemas | null | undefined): string | null {
  if (!schemas) return null;
  const issues = schemasIssues(schemas, ["body", "schemas"]);
  if (issues.length > 0) throw new ValidationFailure(issues);
  return JSON.stringify(schemas);
}

function flagsOf(input: Partial<EventTypeInput>): string[] | null | undefined {
  if (input.featureFlags !== undefined) return input.featureFlags;
  if (input.featureFlag !== undefined) return input.featureFlag === null ? null : [input.featureFlag];
  return undefined;
}

/** Writes every field of `input` over `base` (PUT semantics: omitted fields take defaults). */
function replaced(base: EventTypeRow, input: EventTypeInput, now: number): EventTypeRow {
  const flags = flagsOf(input) ?? null;
  return {
    ...base,
    description: input.description,
    archived: input.archived ? 1 : 0,
    deprecated: input.deprecated ? 1 : 0,
    feature_flags: flags?.length ? JSON.stringify(flags) : null,
    feature_flag: flags?.[0] ?? null,
    group_name: input.groupName ?? null,
    schemas: schemasColumn(input.schemas),
    updated_at: now,
  };
}

/**
 * Creates an event type. An archived type of the same name is brought back with the new
 * fields (the svix client documents create as "create new or unarchive existing", without
 * preserving description and schemas); an active one is a 409.
 */
export async function createEventType({
  db,
  name,
  input,
}: {
  db: D1Database;
  name: string;
  input: EventTypeInput;
}): Promise<EventTypeRow> {
  const now = Date.now();
  const existing = await getEventType(db, name);
  if (existing?.archived) {
    const row = replaced(existing, input, now);
    await updateEventType(db, row).run();
    forgetSchema(row.name);
    return row;
  }
  if (existing) throw conflict(`An event type named "${name}" already exists`);
  const blank: EventTypeRow = {
    name,
    description: "",
    archived: 0,
    deprecated: 0,
    feature_flag: null,
    feature_flags: null,
    group_name: null,
    schemas: null,
    created_at: now,
    updated_at: now,
  };
  const row = replaced(blank, input, now);
  try {
    await insertEventType(db, row).run();
    forgetSchema(row.name);
  } catch (err) {
    // Created concurrently between the read and the insert.
    if (isUniqueViolation(err)) throw conflict(`An event type named "${name}" already exists`);
    throw err;
  }
  return row;
}

/** PUT: replaces the event type, or creates it when the name is new (Svix upserts here). */
export async function replaceEventType({
  db,
  name,
  input,
}: {
  db: D1Database;
  name: string;
  input: EventTypeInput;
}): Promise<{ eventType: EventTypeRow; created: boolean }> {
  const existing = await getEventType(db, name);
  if (!existing) return { eventType: await createEventType({ db, name, input }), created: true };
  const row = replaced(existing, input, Date.now());
  await updateEventType(db, row).run();
  forgetSchema(row.name);
  return { eventType: row, created: false };
}

export async function patchEventType({
  db,
  name,
  input,
}: {
  db: D1Database;
  name: string;
  input: Partial<EventTypeInput>;
}): Promise<EventTypeRow> {
  const existing = await requireEventType(db, name);
  const flags = flagsOf(input);
  const row: EventTypeRow = {
    ...existing,
    description: input.description ?? existing.description,
    archived: input.archived === undefined ? existing.archived : input.archived ? 1 : 0,
    deprecated: input.deprecated === undefined ? existing.deprecated : input.deprecated ? 1 : 0,
    feature_flags:
      flags === undefined ? existing.feature_flags : flags?.length ? JSON.stringify(flags) : null,
    feature_flag: flags === undefined ? existing.feature_flag : (flags?.[0] ?? null),
    group_name: input.groupName === undefined ? existing.group_name : input.groupName,
    schemas: input.schemas === undefined ? existing.schemas : schemasColumn(input.schemas),
    updated_at: Date.now(),
  };
  await updateEventType(db, row).run();
  forgetSchema(row.name);
  return row;
}

/** Archives the event type (Svix's default), or deletes it for good with `expunge`. */
export async function removeEventType({
  db,
  name,
  expunge,
}: {
  db: D1Database;
  name: string;
  expunge: boolean;
}): Promise<void> {
  const existing = await requireEventType(db, name);
  if (expunge) {
    await deleteEventType(db, name).run();
    forgetSchema(name);
    return;
  }
  if (!existing.archived)
    await updateEventType(db, { ...existing, archived: 1, updated_at: Date.now() }).run();
}
