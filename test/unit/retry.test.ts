import { describe, expect, it } from "vitest";
import { parseRetrySchedule } from "../../src/config";
import {
  clampRetryAfter,
  MAX_QUEUE_DELAY_SECONDS,
  nextRetryDelay,
  parseRetryAfter,
  scheduleStep,
  splitDelay,
  withJitter,
} from "../../src/delivery/retry";

const SCHEDULE = parseRetrySchedule("5,300,1800,7200,18000,36000,36000");

describe("retry schedule", () => {
  it("follows the schedule step by step and ends after the last step", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => scheduleStep(SCHEDULE, n))).toEqual(SCHEDULE);
    expect(scheduleStep(SCHEDULE, 8)).toBeNull();
    expect(nextRetryDelay(SCHEDULE, 8)).toBeNull();
  });

  it("keeps the jitter within +-20 % of the step", () => {
    expect(withJitter(100, () => 0)).toBe(80);
    expect(withJitter(100, () => 0.5)).toBe(100);
    expect(withJitter(100, () => 0.999999)).toBeCloseTo(120, 3);
    for (let i = 0; i < 1000; i++) {
      const d = nextRetryDelay(SCHEDULE, 2) ?? 0;
      expect(d).toBeGreaterThanOrEqual(240);
      expect(d).toBeLessThanOrEqual(360);
    }
  });

  it("honours Retry-After clamped to [step, 2 x step], without jitter", () => {
    expect(clampRetryAfter(1, 300)).toBe(300);
    expect(clampRetryAfter(450, 300)).toBe(450);
    expect(clampRetryAfter(10_000, 300)).toBe(600);
    expect(nextRetryDelay(SCHEDULE, 1, 0)).toBe(5);
    expect(nextRetryDelay(SCHEDULE, 1, 7)).toBe(7);
    expect(nextRetryDelay(SCHEDULE, 1, 3600)).toBe(10);
    expect(nextRetryDelay(SCHEDULE, 7, 100_000)).toBe(72_000);
    expect(nextRetryDelay(SCHEDULE, 8, 3600)).toBeNull();
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it("splits delays over the queue's 12 h limit with notBefore", () => {
    const now = 1_000_000;
    expect(splitDelay(4.2, now)).toEqual({ delaySeconds: 5 });
    expect(splitDelay(MAX_QUEUE_DELAY_SECONDS, now)).toEqual({ delaySeconds: MAX_QUEUE_DELAY_SECONDS });
    expect(splitDelay(50_000, now)).toEqual({
      delaySeconds: MAX_QUEUE_DELAY_SECONDS,
      notBefore: now + 50_000_000,
    });
  });

  it("rejects a malformed RETRY_SCHEDULE", () => {
    expect(() => parseRetrySchedule("5,x")).toThrow();
    expect(parseRetrySchedule("1,1,1")).toEqual([1, 1, 1]);
  });
});
