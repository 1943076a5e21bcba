// The endpoints table as the re-encryption sees it (src/services/secret-reencryption.ts): the
// encrypted columns of rows not yet under the newest key, and compare-and-set writes of them.

/** The encrypted columns of one endpoint row. */
export interface EncryptedRow {
  app_id: string;
  id: string;
  secrets: string;
  headers: string | null;
}

/** Where a walk of the table stands: the last row it looked at, in primary-key order. */
export interface RowCursor {
  appId: string;
  id: string;
}

export const TABLE_START: RowCursor = { appId: "", id: "" };

/**
 * Up to `limit` rows after `cursor` with a column not starting with `prefix` ("v2.<newest kid>.").
 * The walk follows the primary key, so a row that cannot be moved is passed, not read again.
 * substr, not LIKE: a kid may hold "_", which LIKE reads as a wildcard.
 */
export async function rowsNotUnder(
  db: D1Database,
  prefix: string,
  cursor: RowCursor,
  limit: number,
): Promise<EncryptedRow[]> {
  const { results } = await db
    .prepare(
      `SELECT app_id, id, secrets, headers FROM endpoints
       WHERE (app_id, id) > (?1, ?2)
         AND (substr(secrets, 1, length(?3)) <> ?3
              OR (headers IS NOT NULL AND substr(headers, 1, length(?3)) <> ?3))
       ORDER BY app_id, id LIMIT ?4`,
    )
    .bind(cursor.appId, cursor.id, prefix, limit)
    .all<EncryptedRow>();
  return results;
}

/**
 * Writes both encrypted columns only if both still hold what was read (`old`): a secret rotated
 * or headers changed meanwhile wins, and the row is moved by a later run instead.
 */
export function swapCiphertexts(db: D1Database, old: EncryptedRow, next: EncryptedRow): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE endpoints SET secrets = ?3, headers = ?4
       WHERE app_id = ?1 AND id = ?2 AND secrets = ?5 AND headers IS ?6`,
    )
    .bind(old.app_id, old.id, next.secrets, next.headers, old.secrets, old.headers);
}
