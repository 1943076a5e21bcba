import { describe, expect, it } from "vitest";
import { classifyResponse } from "../../src/delivery/classify";

describe("classifyResponse", () => {
  it.each([
    [200, "success"],
    [201, "success"],
    [204, "success"],
    [299, "success"],
    [301, "failed"],
    [302, "failed"],
    [304, "failed"],
    [400, "failed"],
    [401, "failed"],
    [404, "failed"],
    [410, "gone"],
    [429, "throttled"],
    [500, "failed"],
    [501, "failed"],
    [502, "throttled"],
    [503, "throttled"],
    [504, "throttled"],
    [100, "failed"],
  ])("classifies HTTP %i as %s", (status, kind) => {
    expect(classifyResponse({ status, retryAfterSeconds: null }).kind).toBe(kind);
  });

  it("classifies no response (network error, timeout) as failed", () => {
    expect(classifyResponse({ status: null, retryAfterSeconds: null })).toEqual({ kind: "failed" });
  });

  it("carries Retry-After on throttled outcomes", () => {
    expect(classifyResponse({ status: 429, retryAfterSeconds: 30 })).toEqual({
      kind: "throttled",
      retryAfterSeconds: 30,
    });
  });
});
