import { idTime } from "../lib/ids";

// A log object's data lives in one set of tables per day of message creation: mpage_<day>,
// msg_<day>, key_<day>, page_<day> and att_<day> (attempts live with their message, whatever
// day they are made on).
// Retention drops whole days: DROP TABLE writes no rows, where deleting a day of rows one by one
// would bill every row again (measured: SQLite reports 0 rows written for a DROP TABLE, 1 per
// row and per index entry for a DELETE).
export const PARTITION_MS = 86_400_000;

export const partitionOfTime = (ms: number) => Math.floor(ms / PARTITION_MS);
export const partitionOfId = (id: string) => partitionOfTime(idTime(id));
export const partitionStart = (p: number) => p * PARTITION_MS;

export const tables = (p: number) => ({
  msg: `msg_${p}`,
  key: `key_${p}`,
  att: `att_${p}`,
  page: `page_${p}`,
  mpage: `mpage_${p}`,
});

// Every row and every index entry written is billed, so each table has its primary key as the
// access path the API reads through and as few secondary indexes as the reads need:
// - mpage: most messages, packed (message-pages.ts): the messages of one ingest commit window
//   and 1-second bucket of message time share a row, by (bucket, first id).
// - msg: the other messages, one row each, by id: scheduled ones (indexed by deliver_at) and
//   those whose payload expires before the day is dropped (indexed by purge_at).
// - key: idempotency keys ('k') and eventIds ('e'), written only when the sender gives one.
// - att: attempts waiting for a retry, and those before them: by (message, endpoint, attempt)
//   for a message's attempts and a destination's latest; by (endpoint, attempt) for an
//   endpoint's; by next_attempt_at (a partial index) for the outbox.
// - page: every other attempt, packed (attempt-pages.ts): by (bucket of message time, endpoint)
//   and by (endpoint, max_id).
const mpageDdl = (p: number) =>
  `CREATE TABLE IF NOT EXISTS ${tables(p).mpage} (
    bucket INTEGER NOT NULL, id TEXT NOT NULL, max_id TEXT NOT NULL, items TEXT NOT NULL,
    PRIMARY KEY (bucket, id)) WITHOUT ROWID`;
const ddl = (p: number) => {
  const t = tables(p);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.msg} (
      id TEXT PRIMARY KEY, event_type TEXT NOT NULL, event_id TEXT, channels TEXT, tags TEXT,
      payload TEXT, destinations TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
      deliver_at INTEGER, purge_at INTEGER) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${t.msg}_scheduled ON ${t.msg} (deliver_at) WHERE deliver_at IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${t.msg}_purge ON ${t.msg} (purge_at) WHERE purge_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${t.key} (
      kind TEXT NOT NULL, key TEXT NOT NULL, msg_id TEXT NOT NULL, created_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key)) WITHOUT ROWID`,
    `CREATE TABLE IF NOT EXISTS ${t.att} (
      msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL,
      status INTEGER NOT NULL, response_status_code INTEGER NOT NULL, response TEXT NOT NULL,
      response_duration_ms INTEGER NOT NULL, trigger_type INTEGER NOT NULL, next_attempt_at INTEGER,
      created_at INTEGER NOT NULL, PRIMARY KEY (msg_id, endpoint_id, id)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${t.att}_endpoint ON ${t.att} (endpoint_id, id)`,
    `CREATE INDEX IF NOT EXISTS ${t.att}_due ON ${t.att} (next_attempt_at) WHERE next_attempt_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${t.page} (
      bucket INTEGER NOT NULL, endpoint_id TEXT NOT NULL, id TEXT NOT NULL, max_id TEXT NOT NULL,
      url TEXT NOT NULL, items TEXT NOT NULL, PRIMARY KEY (bucket, endpoint_id, id)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${t.page}_endpoint ON ${t.page} (endpoint_id, max_id)`,
    mpageDdl(p),
  ];
};

/** The day partitions of one object's SQLite database, created on first write, dropped by retention. */
export class Partitions {
  private known: number[] | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Existing partitions, ascending. */
  list(): number[] {
    if (!this.known) {
      const names = this.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'msg\\_%' ESCAPE '\\' OR name LIKE 'mpage\\_%' ESCAPE '\\')",
        )
        .toArray()
        .map((r) => r.name);
      const paged = new Set(names.filter((n) => n.startsWith("mpage_")).map((n) => Number(n.slice(6))));
      this.known = names
        .filter((n) => n.startsWith("msg_"))
        .map((n) => Number(n.slice(4)))
        .filter(Number.isInteger)
        .sort((a, b) => a - b);
      // Days written before messages were paged have no mpage table: it is made once.
      for (const p of this.known) if (!paged.has(p)) this.sql.exec(mpageDdl(p));
    }
    return this.known;
  }

  has(p: number): boolean {
    return this.list().includes(p);
  }

  ensure(p: number): void {
    if (this.has(p)) return;
    for (const statement of ddl(p)) this.sql.exec(statement);
    this.known = [...this.list(), p].sort((a, b) => a - b);
  }

  drop(p: number): void {
    const t = tables(p);
    for (const name of [t.page, t.att, t.key, t.mpage, t.msg]) this.sql.exec(`DROP TABLE IF EXISTS ${name}`);
    this.known = this.list().filter((x) => x !== p);
  }

  /**
   * The smallest `column` above `after` over every day's `kind` table (its partial index on
   * the column answers it), or null: the next time some timed work is due.
   */
  earliest(kind: "msg" | "att", column: string, after: number): number | null {
    let next: number | null = null;
    for (const p of this.list()) {
      const row = this.sql
        .exec<{ at: number | null }>(
          `SELECT MIN(${column}) AS at FROM ${tables(p)[kind]} WHERE ${column} IS NOT NULL AND ${column} > ?`,
          after,
        )
        .toArray()[0];
      if (row?.at != null && (next === null || row.at < next)) next = row.at;
    }
    return next;
  }

  /**
   * Deletes up to `limit` rows of one endpoint from every day's `kind` table (whose primary key
   * is `key`), through its endpoint index; returns how many went.
   */
  deleteEndpointRows(kind: "att" | "page", key: string, endpointId: string, limit: number): number {
    let deleted = 0;
    for (const p of this.list()) {
      const t = tables(p)[kind];
      deleted += this.sql.exec(
        `DELETE FROM ${t} WHERE (${key}) IN (SELECT ${key} FROM ${t} WHERE endpoint_id = ? LIMIT ?)`,
        endpointId,
        limit - deleted,
      ).rowsWritten;
      if (deleted >= limit) break;
    }
    return deleted;
  }

  /** Forget the cached list (after deleteAll). */
  reset(): void {
    this.known = null;
  }
}
