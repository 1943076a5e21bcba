import { DurableObject } from "cloudflare:workers";
import { applyOutcome, type BatchOutcome, HEALTHY, type HealthState, type Verdict } from "./health";
import { type BucketDecision, type BucketState, take } from "./token-bucket";

const BUCKET_KEY = "bucket";
const HEALTH_KEY = "health";

/**
 * Per-endpoint traffic owner, named by endpoint id (idFromName): the endpoint's token bucket
 * and its health. State lives in the object's SQLite-backed KV so eviction resets nothing.
 * Every method is synchronous (sync KV API, no awaits), so calls never interleave and each
 * read-modify-write is atomic without locks or alarms.
 *
 * Times come from the caller (`now`, unix ms) so tests control the clock; the bucket ignores
 * a clock that runs backwards.
 */
export class EndpointState extends DurableObject<Env> {
  /**
   * Asks for `wanted` send permits at `rate` msgs/s (the effective rate, passed every call,
   * so a rate change applies at once). See BucketDecision for how to treat the deferred rest.
   */
  acquire(wanted: number, rate: number, now: number): BucketDecision {
    if (!(wanted > 0)) return { granted: 0, retryAfterMs: 0, spacingMs: 0 };
    if (!(rate > 0) || !Number.isFinite(rate)) return { granted: wanted, retryAfterMs: 0, spacingMs: 0 };
    const kv = this.ctx.storage.kv;
    const { state, decision } = take(kv.get<BucketState>(BUCKET_KEY), Math.floor(wanted), rate, now);
    kv.put(BUCKET_KEY, state);
    return decision;
  }

  /**
   * Records one batch's outcomes and says whether to disable the endpoint. `mirror` is the
   * endpoint row's failing_since as the caller read it (see applyOutcome); omit it to trust
   * the object's own record.
   */
  report(outcome: BatchOutcome, now: number, disableAfterMs: number, mirror?: number | null): Verdict {
    const kv = this.ctx.storage.kv;
    const previous = kv.get<HealthState>(HEALTH_KEY) ?? HEALTHY;
    const { state, verdict } = applyOutcome(previous, outcome, now, disableAfterMs, mirror);
    // Storage writes are billed: a failure streak that goes on changes nothing to store.
    if (state.failingSince !== previous.failingSince || state.lastSuccess !== previous.lastSuccess) {
      kv.put(HEALTH_KEY, state);
    }
    return verdict;
  }

  /** Forgets the endpoint's failures (it was re-enabled). The rate limit is untouched. */
  reset(): void {
    this.ctx.storage.kv.delete(HEALTH_KEY);
  }

  /** The stored health, for tests and diagnostics. */
  health(): HealthState {
    return this.ctx.storage.kv.get<HealthState>(HEALTH_KEY) ?? HEALTHY;
  }
}
