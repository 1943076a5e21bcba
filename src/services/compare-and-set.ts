import { conflict } from "../errors";

// A read-modify-write of one row re-reads and tries again when another write landed between
// its read and its write. A row sees a handful of concurrent API calls at most, so a few rounds
// settle it; a caller that still loses gets a 409 to retry, never a silent overwrite.
const ATTEMPTS = 5;

/** Runs `attempt` (read, compute, compare-and-set) until it lands (non-null), else a 409. */
export async function retryOnConflict<T>(what: string, attempt: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const landed = await attempt();
    if (landed !== null) return landed;
  }
  throw conflict(`${what} was changed by concurrent requests; try again`);
}
