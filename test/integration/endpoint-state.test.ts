import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  acquirePermits,
  type EndpointTraffic,
  needsHealthReport,
  reportHealth,
  resetHealth,
} from "../../src/endpoint-state/client";
import { EndpointState } from "../../src/endpoint-state/endpoint-state";

// Each test names its own object: storage persists across the tests of a file.
let counter = 0;
function freshName(): string {
  counter += 1;
  return `ep_test_${Date.now()}_${counter}`;
}
function objectFor(name: string) {
  return env.ENDPOINT_STATE.get(env.ENDPOINT_STATE.idFromName(name));
}

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

describe("EndpointState token bucket", () => {
  it("grants one second's burst at once and defers the rest with spread-out return times", async () => {
    const stub = objectFor(freshName());
    const first = await runInDurableObject(stub, (obj: EndpointState) => obj.acquire(8, 5, T0));
    expect(first).toEqual({ granted: 5, retryAfterMs: 200, spacingMs: 200 });
    // Asked again at once: nothing left, and the new deferred slots come after the first three.
    const second = await runInDurableObject(stub, (obj: EndpointState) => obj.acquire(2, 5, T0));
    expect(second).toEqual({ granted: 0, retryAfterMs: 800, spacingMs: 200 });
  });

  it("refills at the rate and never above one second's burst", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      expect(obj.acquire(10, 10, T0).granted).toBe(10);
      expect(obj.acquire(10, 10, T0 + 300).granted).toBe(3);
      expect(obj.acquire(10, 10, T0 + 300 + 60_000).granted).toBe(10);
      expect(obj.acquire(1, 10, T0 + 300 + 60_000).granted).toBe(0);
    });
  });

  it("applies a rate change at once", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      expect(obj.acquire(100, 50, T0).granted).toBe(50);
      // Lowered to 2/s: the refill of the next second is 2, not 50.
      expect(obj.acquire(100, 2, T0 + 1000).granted).toBe(2);
      // Raised to 20/s: half a second refills 10.
      expect(obj.acquire(100, 20, T0 + 1500).granted).toBe(10);
      // A lower rate also caps the burst left over from a higher one.
      expect(obj.acquire(100, 3, T0 + 60_000).granted).toBe(3);
    });
  });

  it("never grants more than rate x window + rate in any window", async () => {
    const stub = objectFor(freshName());
    const rate = 7;
    // Deterministic pseudo-random request times and sizes over 30 s.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const grants: { at: number; n: number }[] = [];
    await runInDurableObject(stub, (obj: EndpointState) => {
      let now = T0;
      while (now < T0 + 30_000) {
        now += Math.floor(random() * 150);
        const decision = obj.acquire(1 + Math.floor(random() * 6), rate, now);
        if (decision.granted > 0) grants.push({ at: now, n: decision.granted });
      }
    });
    const total = grants.reduce((sum, g) => sum + g.n, 0);
    // Saturated: the whole allowance was used, so the bound below is tight, not vacuous.
    expect(total).toBeGreaterThanOrEqual(rate * 30);
    for (const windowMs of [100, 500, 1000, 3000, 10_000]) {
      for (const start of grants) {
        const inWindow = grants
          .filter((g) => g.at >= start.at && g.at < start.at + windowMs)
          .reduce((sum, g) => sum + g.n, 0);
        expect(inWindow).toBeLessThanOrEqual((rate * windowMs) / 1000 + rate);
      }
    }
  });

  it("keeps its state in storage, so a new instance (after eviction) continues it", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      expect(obj.acquire(4, 4, T0).granted).toBe(4);
    });
    await runInDurableObject(stub, (_obj: EndpointState, state) => {
      const revived = new EndpointState(state, env);
      expect(revived.acquire(4, 4, T0 + 500).granted).toBe(2);
    });
  });
});

describe("EndpointState health", () => {
  const disableAfterMs = 5 * HOUR;

  it("disables only after failing for the whole window with no success", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      const fail = { successes: 0, failures: 1, gone: false };
      expect(obj.report(fail, T0, disableAfterMs)).toEqual({
        disable: false,
        reason: null,
        failingSince: T0,
      });
      expect(obj.report(fail, T0 + 4 * HOUR, disableAfterMs).disable).toBe(false);
      // A success restarts the window.
      expect(
        obj.report({ successes: 1, failures: 0, gone: false }, T0 + 4 * HOUR + 1, disableAfterMs),
      ).toEqual({
        disable: false,
        reason: null,
        failingSince: null,
      });
      expect(obj.report(fail, T0 + 5 * HOUR, disableAfterMs).failingSince).toBe(T0 + 5 * HOUR);
      expect(obj.report(fail, T0 + 10 * HOUR - 1, disableAfterMs).disable).toBe(false);
      const verdict = obj.report(fail, T0 + 10 * HOUR, disableAfterMs);
      expect(verdict.disable).toBe(true);
      expect(verdict.failingSince).toBe(T0 + 5 * HOUR);
      expect(verdict.reason).toContain("5 h");
    });
  });

  it("keeps the failure streak in storage across instances", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      obj.report({ successes: 0, failures: 1, gone: false }, T0, disableAfterMs);
    });
    await runInDurableObject(stub, (_obj: EndpointState, state) => {
      const revived = new EndpointState(state, env);
      expect(
        revived.report({ successes: 0, failures: 1, gone: false }, T0 + 5 * HOUR, disableAfterMs),
      ).toMatchObject({ disable: true, failingSince: T0 });
    });
  });

  it("disables at once on 410 Gone", async () => {
    const stub = objectFor(freshName());
    const verdict = await runInDurableObject(stub, (obj: EndpointState) =>
      obj.report({ successes: 3, failures: 0, gone: true }, T0, disableAfterMs),
    );
    expect(verdict).toEqual({ disable: true, reason: "The endpoint answered 410 Gone", failingSince: T0 });
  });

  it("forgets failures on reset (re-enabled endpoint)", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      obj.report({ successes: 0, failures: 2, gone: false }, T0, disableAfterMs);
      obj.reset();
      expect(obj.health()).toEqual({ failingSince: null, lastSuccess: null });
      expect(obj.report({ successes: 0, failures: 1, gone: false }, T0 + 6 * HOUR, disableAfterMs)).toEqual({
        disable: false,
        reason: null,
        failingSince: T0 + 6 * HOUR,
      });
    });
  });

  it("starts the window over when the endpoint row says healthy (unreported successes)", async () => {
    const stub = objectFor(freshName());
    await runInDurableObject(stub, (obj: EndpointState) => {
      obj.report({ successes: 0, failures: 1, gone: false }, T0, disableAfterMs, null);
      // The row's failing_since was cleared meanwhile (successes need no report while it is null).
      const verdict = obj.report(
        { successes: 0, failures: 1, gone: false },
        T0 + 6 * HOUR,
        disableAfterMs,
        null,
      );
      expect(verdict).toEqual({ disable: false, reason: null, failingSince: T0 + 6 * HOUR });
    });
  });
});

describe("endpoint-state client", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function traffic(overrides: Partial<EndpointTraffic> = {}): EndpointTraffic {
    return { appId: "app_x", endpointId: freshName(), throttleRate: null, failingSince: null, ...overrides };
  }

  it("makes no object call for an unlimited, healthy endpoint", async () => {
    const get = vi.spyOn(env.ENDPOINT_STATE, "get");
    const idFromName = vi.spyOn(env.ENDPOINT_STATE, "idFromName");
    const ep = traffic();
    expect(await acquirePermits(env, ep, 25, T0)).toEqual({ granted: 25, retryAfterMs: 0, spacingMs: 0 });
    const healthy = { successes: 25, failures: 0, gone: false };
    expect(needsHealthReport(ep, healthy)).toBe(false);
    expect(await reportHealth(env, ep, healthy, T0)).toEqual({
      disable: false,
      reason: null,
      failingSince: null,
    });
    expect(get).not.toHaveBeenCalled();
    expect(idFromName).not.toHaveBeenCalled();
  });

  it("makes one call per acquire and per needed report, named by the endpoint id", async () => {
    const get = vi.spyOn(env.ENDPOINT_STATE, "get");
    const idFromName = vi.spyOn(env.ENDPOINT_STATE, "idFromName");
    const ep = traffic({ throttleRate: 2 });
    expect(await acquirePermits(env, ep, 3, T0)).toMatchObject({ granted: 2, spacingMs: 500 });
    const verdict = await reportHealth(env, ep, { successes: 0, failures: 0, gone: true }, T0);
    expect(verdict.disable).toBe(true);
    expect(get).toHaveBeenCalledTimes(2);
    expect(idFromName.mock.calls).toEqual([[ep.endpointId], [ep.endpointId]]);
  });

  it("resetHealth clears the object's record", async () => {
    const ep = traffic();
    await reportHealth(env, ep, { successes: 0, failures: 1, gone: false }, T0);
    await resetHealth(env, ep.endpointId);
    const health = await runInDurableObject(objectFor(ep.endpointId), (obj: EndpointState) => obj.health());
    expect(health).toEqual({ failingSince: null, lastSuccess: null });
  });
});
