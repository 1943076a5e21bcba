import {
  claimKey,
  completeKey,
  deleteExpiredKeys,
  getKey,
  type IdempotencyIdent,
  type IdempotencyRow,
  releaseKey,
} from "../db/idempotency";
import { conflict, invalid } from "../errors";

// idempotency-key on the configuration plane's POSTs: the first request with a key claims it,
// runs, and stores its answer; a repeat within 24 hours gets that answer and has no effect.

export interface IdempotencySettings {
  /** How long a key and its answer are kept (Svix: 24 hours). */
  ttlMs: number;
  /** A claim older than this belongs to a run that died: the same request may take it over. */
  leaseMs: number;
  /** How long a repeat waits for the first run to answer before it gets a 409. */
  waitMs: number;
}

export const IDEMPOTENCY_DEFAULTS: IdempotencySettings = {
  ttlMs: 24 * 3_600_000,
  // Configuration writes answer in well under a second; a minute leaves room for a slow D1.
  leaseMs: 60_000,
  // The svix client retries a failed POST after 50 and 100 ms with the same key: a retry of a
  // request still running is answered once that request is.
  waitMs: 5_000,
};

/** Expired keys deleted per claim: each claim adds one row and removes up to this many. */
const CLEANUP_BATCH = 100;
/** Polling a running key: from 25 ms, doubling, at most 500 ms between reads. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

export interface IdempotentRequest extends IdempotencyIdent {
  /** requestHash of the request's query and body. */
  requestHash: string;
}

/** The answer of a request, as stored and replayed. */
export interface StoredAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

export type ClaimOutcome = { claim: string } | { answer: StoredAnswer };

const encoder = new TextEncoder();

/** SHA-256 over the query string and the body's bytes: what a repeat must send again. */
export async function requestHash(query: string, body: ArrayBuffer): Promise<string> {
  const head = encoder.encode(`${query}\n`);
  const all = new Uint8Array(head.byteLength + body.byteLength);
  all.set(head);
  all.set(new Uint8Array(body), head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const reused = () =>
  invalid(
    ["header", "idempotency-key"],
    "This idempotency-key was used with a different request (query or body) in the last 24 hours",
    "idempotency_key_reused",
  );

const answerOf = (row: IdempotencyRow): StoredAnswer => ({
  status: row.status ?? 200,
  contentType: row.content_type,
  body: row.body ?? "",
});

/** One attempt: the claim, the stored answer, or null while another request holds the key. */
async function tryClaim(
  db: D1Database,
  request: IdempotentRequest,
  settings: IdempotencySettings,
): Promise<ClaimOutcome | null> {
  const now = Date.now();
  const claim = crypto.randomUUID();
  const [, claimed] = await db.batch<{ claim: string }>([
    deleteExpiredKeys(db, now, CLEANUP_BATCH),
    claimKey(db, {
      ...request,
      request_hash: request.requestHash,
      claim,
      lease_until: now + settings.leaseMs,
      now,
      expires_at: now + settings.ttlMs,
    }),
  ]);
  if (claimed?.results[0]?.claim === claim) return { claim };
  const row = await getKey(db, request);
  if (!row) return null; // released by a failed run since: the next attempt claims it
  if (row.request_hash !== request.requestHash) throw reused();
  return row.state === "done" ? { answer: answerOf(row) } : null;
}

/**
 * Claims the key for this request, or returns the answer stored for it. A repeat while the
 * first run is in flight waits up to `waitMs` for its answer (or for the key to be released or
 * its lease to run out, then claims it), else 409. A different request with the key is a 422.
 */
export async function claimOrReplay(
  db: D1Database,
  request: IdempotentRequest,
  settings: IdempotencySettings = IDEMPOTENCY_DEFAULTS,
): Promise<ClaimOutcome> {
  const deadline = Date.now() + settings.waitMs;
  let pause = FIRST_POLL_MS;
  for (;;) {
    const outcome = await tryClaim(db, request, settings);
    if (outcome) return outcome;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw conflict("A request with this idempotency-key is still in progress; retry it later");
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/** Stores the answer for repeats; false when the claim was taken over meanwhile. */
export async function storeAnswer(
  db: D1Database,
  request: IdempotencyIdent,
  claim: string,
  answer: StoredAnswer,
): Promise<boolean> {
  const result = await completeKey(db, request, claim, {
    status: answer.status,
    content_type: answer.contentType,
    body: answer.body,
  }).run();
  return result.meta.changes > 0;
}

/** Frees the key after a failed run, so that the client's retry runs the request again. */
export async function releaseClaim(db: D1Database, request: IdempotencyIdent, claim: string): Promise<void> {
  await releaseKey(db, request, claim).run();
}
