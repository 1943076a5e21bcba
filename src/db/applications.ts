export interface ApplicationRow {
  id: string;
  uid: string | null;
  name: string;
  throttle_rate: number | null;
  metadata: string;
  egress_relay: number;
  created_at: number;
  updated_at: number;
}

import { afterCursor } from "./cursor";
import { deleteAppPortalTokens } from "./portal-tokens";

const COLUMNS = "id, uid, name, throttle_rate, metadata, egress_relay, created_at, updated_at";

/** Looks an application up by id or by uid (Svix accepts either wherever an app id goes). */
export function getApplication(db: D1Database, idOrUid: string): Promise<ApplicationRow | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM applications WHERE id = ?1 OR uid = ?1 LIMIT 1`)
    .bind(idOrUid)
    .first<ApplicationRow>();
}

/** An application by id only (a log object knows its application's id). */
export function getApplicationById(db: D1Database, id: string): Promise<ApplicationRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM applications WHERE id = ?1`).bind(id).first<ApplicationRow>();
}

/** A page of applications in id order, after `cursor` in the walking direction. */
export async function listApplications(
  db: D1Database,
  opts: { cursor: string | null; direction: "ASC" | "DESC"; limit: number },
): Promise<ApplicationRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM applications WHERE ${afterCursor(opts, "id", "?1")} ORDER BY id ${opts.direction} LIMIT ?2`,
    )
    .bind(opts.cursor, opts.limit + 1)
    .all<ApplicationRow>();
  return results;
}

export function insertApplication(db: D1Database, row: ApplicationRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO applications (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`)
    .bind(
      row.id,
      row.uid,
      row.name,
      row.throttle_rate,
      row.metadata,
      row.egress_relay,
      row.created_at,
      row.updated_at,
    );
}

/** The columns PUT and PATCH may change. */
export type ApplicationSettings = Partial<
  Pick<ApplicationRow, "uid" | "name" | "throttle_rate" | "metadata" | "egress_relay">
>;
const SETTING_COLUMNS = ["uid", "name", "throttle_rate", "metadata", "egress_relay"] as const;

/**
 * Writes only the settings given (undefined leaves a column as it is, so two PATCHes of different
 * fields cannot undo each other) and answers the row as committed, or null when it is gone.
 */
export function updateApplication(
  db: D1Database,
  id: string,
  settings: ApplicationSettings,
  now: number,
): D1PreparedStatement {
  const columns = SETTING_COLUMNS.filter((c) => settings[c] !== undefined);
  const sets = columns.map((c, i) => `${c} = ?${i + 3}`);
  return db
    .prepare(
      `UPDATE applications SET ${[...sets, "updated_at = ?2"].join(", ")} WHERE id = ?1 RETURNING ${COLUMNS}`,
    )
    .bind(id, now, ...columns.map((c) => settings[c]));
}

/**
 * Deletes an application, its endpoints and its app-portal tokens: three statements on small
 * tables. Its messages and attempts live in its log objects, which the caller destroys.
 */
export async function deleteApplication(db: D1Database, appId: string): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM endpoints WHERE app_id = ?1").bind(appId),
    deleteAppPortalTokens(db, appId),
    db.prepare("DELETE FROM applications WHERE id = ?1").bind(appId),
  ]);
}
