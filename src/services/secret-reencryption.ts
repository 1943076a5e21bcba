import {
  type EncryptedRow,
  type RowCursor,
  rowsNotUnder,
  swapCiphertexts,
  TABLE_START,
} from "../db/key-rotation";
import { keyringFrom } from "../security/keyring";
import {
  decryptString,
  type EncryptedColumn,
  encryptString,
  endpointField,
  isUnderNewestKey,
  type KeySource,
  storedKeyId,
  UndecryptableSecret,
} from "../security/secrets";

// Moves endpoint ciphertexts that are not under the newest key (v1, or an older kid) to it, so
// the old key can be removed from the keyring. Run by the Cron Trigger (src/index.ts): each run
// walks the table from its start in bounded batches and keeps no state of its own, since the
// rows themselves say what is left. A run that dies midway loses nothing: the next one finds
// the rows still to move. Each row is written with compare-and-set on what was read, so a
// secret rotation or header change that lands meanwhile is never undone.

export interface ReencryptionLimits {
  batchRows: number;
  maxBatches: number;
}

/**
 * One run: 10 batches of 50 rows, each one SELECT and one D1 batch of up to 50 UPDATEs (~510
 * D1 queries, half of the 1,000 a paid invocation may make). At one run every 5 minutes that
 * moves up to 6,000 endpoints an hour.
 */
export const RUN_LIMITS: ReencryptionLimits = { batchRows: 50, maxBatches: 10 };
/** How many undecryptable row ids a report names (the count covers them all). */
const NAMED_ROWS = 10;

export interface ReencryptionReport {
  /** The newest key: every moved row is under it. */
  kid: string;
  moved: number;
  /** Moved rows by the key they were under ("v1" for the keyless format). */
  from: Record<string, number>;
  /** Rows changed between the read and the write: the next run moves them. */
  raced: number;
  undecryptable: number;
  /** The first few undecryptable row ids. */
  undecryptableIds: string[];
  /** The walk reached the end of the table (else the run stopped at its batch limit). */
  reachedEnd: boolean;
}

export interface Move {
  old: EncryptedRow;
  next: EncryptedRow;
}

type ReencryptionEnv = KeySource & { DB: D1Database };

export async function reencryptEndpointSecrets(
  env: ReencryptionEnv,
  limits: ReencryptionLimits = RUN_LIMITS,
): Promise<ReencryptionReport> {
  const kid = keyringFrom(env).newest.kid;
  const report: ReencryptionReport = {
    kid,
    moved: 0,
    from: {},
    raced: 0,
    undecryptable: 0,
    undecryptableIds: [],
    reachedEnd: false,
  };
  let cursor: RowCursor = TABLE_START;
  for (let batch = 0; batch < limits.maxBatches && !report.reachedEnd; batch++) {
    const rows = await rowsNotUnder(env.DB, `v2.${kid}.`, cursor, limits.batchRows);
    const moves = await planMoves(env, rows, report);
    const applied = await applyMoves(env.DB, moves);
    for (const [i, move] of moves.entries()) countMove(report, move, applied[i] ?? false);
    const last = rows.at(-1);
    if (last) cursor = { appId: last.app_id, id: last.id };
    report.reachedEnd = rows.length < limits.batchRows;
  }
  logReport(report);
  return report;
}

/** The moves for `rows`; rows no listed key opens are counted in `report` and left as they are. */
export async function planMoves(keys: KeySource, rows: EncryptedRow[], report?: ReencryptionReport) {
  const moves: Move[] = [];
  for (const row of rows) {
    const next = await reencryptRow(keys, row);
    if (next) moves.push({ old: row, next });
    else if (report) noteUndecryptable(report, row.id);
  }
  return moves;
}

function noteUndecryptable(report: ReencryptionReport, id: string): void {
  report.undecryptable++;
  if (report.undecryptableIds.length < NAMED_ROWS) report.undecryptableIds.push(id);
}

/** Writes the moves with compare-and-set; true for each row that still held what was read. */
export async function applyMoves(db: D1Database, moves: Move[]): Promise<boolean[]> {
  if (moves.length === 0) return [];
  const results = await db.batch(moves.map((m) => swapCiphertexts(db, m.old, m.next)));
  return results.map((r) => r.meta.changes > 0);
}

/** The row with both columns under the newest key, or null when one cannot be decrypted. */
async function reencryptRow(keys: KeySource, row: EncryptedRow): Promise<EncryptedRow | null> {
  try {
    const secrets = await reencrypt(keys, row.id, "secrets", row.secrets);
    const headers = row.headers === null ? null : await reencrypt(keys, row.id, "headers", row.headers);
    return { ...row, secrets, headers };
  } catch (err) {
    if (err instanceof UndecryptableSecret) return null;
    throw err;
  }
}

async function reencrypt(keys: KeySource, id: string, column: EncryptedColumn, stored: string) {
  if (isUnderNewestKey(keys, stored)) return stored;
  const field = endpointField(id, column);
  return encryptString(keys, field, await decryptString(keys, field, stored));
}

function countMove(report: ReencryptionReport, move: Move, applied: boolean): void {
  if (!applied) {
    report.raced++;
    return;
  }
  report.moved++;
  // The key the row was under: its secrets' unless only its headers moved.
  const moved = move.old.secrets !== move.next.secrets ? move.old.secrets : (move.old.headers ?? "");
  const from = storedKeyId(moved) ?? "unknown";
  report.from[from] = (report.from[from] ?? 0) + 1;
}

/** One line per run: counts, kids and row ids only, never a value. */
function logReport(r: ReencryptionReport): void {
  const from = Object.entries(r.from).map(([kid, n]) => `${n} from ${kid}`);
  const parts = [
    `re-encryption to key "${r.kid}": moved ${r.moved} rows${from.length ? ` (${from.join(", ")})` : ""}`,
    `${r.raced} changed meanwhile`,
  ];
  if (r.undecryptable > 0)
    parts.push(`${r.undecryptable} no listed key opens (${r.undecryptableIds.join(", ")})`);
  const done = r.reachedEnd && r.raced === 0 && r.undecryptable === 0;
  parts.push(done ? "every row is under the newest key" : "more remain for the next run");
  const line = parts.join("; ");
  if (r.undecryptable > 0) console.warn(line);
  else console.log(line);
}
