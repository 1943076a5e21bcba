import { describe, expect, it } from "vitest";
import { parseFrameAncestors } from "../../src/config";
import { chartGeometry, niceCeiling } from "../../src/portal/client/chart";
import { allows, parseFragment } from "../../src/portal/client/fragment";
import { pathFor, type View, viewFor } from "../../src/portal/client/nav";
import { errorMessage, query } from "../../src/portal/client/query";
import { examplePayload, latestSchema } from "../../src/portal/client/schema-example";
import { parseHexColour, parseTheme } from "../../src/portal/client/theme";

describe("portal theme", () => {
  it("accepts #rgb and #rrggbb colours only", () => {
    expect(parseHexColour("#FF6600")).toBe("#ff6600");
    expect(parseHexColour(" #f60 ")).toBe("#f60");
    for (const bad of ["ff6600", "#ff66", "#ff660000", "red", "#ggg", "#fff;background:url(x)", "", null]) {
      expect(parseHexColour(bad), String(bad)).toBeNull();
    }
  });

  it("reads primaryColor and darkMode as svix-react's AppPortal appends them", () => {
    expect(parseTheme("?primaryColor=%23ff6600&darkMode=true")).toEqual({
      primaryColor: "#ff6600",
      dark: true,
    });
    expect(parseTheme("?darkMode=false&primaryColor=javascript:1")).toEqual({
      primaryColor: null,
      dark: false,
    });
    expect(parseTheme("")).toEqual({ primaryColor: null, dark: false });
  });
});

describe("portal fragment", () => {
  it("reads the application id and token, and nothing without both", () => {
    expect(parseFragment("#app=app_1&token=appsk_abc")).toEqual({ appId: "app_1", token: "appsk_abc" });
    expect(parseFragment("token=t&app=a")).toEqual({ appId: "a", token: "t" });
    expect(parseFragment("#app=app_1")).toBeNull();
    expect(parseFragment("#token=x")).toBeNull();
    expect(parseFragment("")).toBeNull();
  });

  it("reads the token's capabilities, and hides only what none of them grants", () => {
    const readOnly = parseFragment("#app=a&token=t&capabilities=ViewBase");
    expect(readOnly).toEqual({ appId: "a", token: "t", capabilities: ["ViewBase"] });
    for (const ability of ["manageEndpoints", "viewSecret", "rotateSecret", "createAttempts"] as const) {
      expect(allows(readOnly?.capabilities, ability), ability).toBe(false);
      expect(allows(undefined, ability), ability).toBe(true); // an older url: the API decides
    }
    const secrets = parseFragment("#app=a&token=t&capabilities=ViewBase,ViewEndpointSecret")?.capabilities;
    expect(allows(secrets, "viewSecret")).toBe(true);
    expect(allows(secrets, "rotateSecret")).toBe(false);
    const manage = ["ViewBase", "ManageEndpoint"];
    expect([allows(manage, "manageEndpoints"), allows(manage, "rotateSecret")]).toEqual([true, true]);
    expect(allows(manage, "createAttempts")).toBe(false);
  });
});

describe("portal views", () => {
  it("maps every view to a path under /portal and back", () => {
    const views: View[] = [
      { name: "endpoints" },
      { name: "endpoint", id: "ep_2abc" },
      { name: "messages" },
      { name: "message", id: "msg_2xyz" },
      { name: "catalog" },
    ];
    for (const view of views) {
      expect(pathFor(view).startsWith("/portal")).toBe(true);
      expect(viewFor(pathFor(view))).toEqual(view);
    }
  });

  it("falls back to the endpoints list for unknown or malformed paths", () => {
    for (const path of [
      "/portal",
      "/portal/",
      "/portal/nope",
      "/portal/endpoints/a/b",
      "/portal/messages/%E0%A4%A",
    ]) {
      expect(viewFor(path), path).toEqual({ name: "endpoints" });
    }
  });
});

describe("delivery chart geometry", () => {
  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 2, 3, 7, 10, 11, 48, 101, 2000].map(niceCeiling)).toEqual([
      1, 1, 2, 5, 10, 10, 20, 50, 200, 2000,
    ]);
  });

  it("stacks failures on successes, scaled to the axis, one slot per hour", () => {
    const g = chartGeometry(
      [
        { hour: "2026-01-01T00:00:00.000Z", success: 3, fail: 1 },
        { hour: "2026-01-01T01:00:00.000Z", success: 0, fail: 0 },
        { hour: "2026-01-01T02:00:00.000Z", success: 10, fail: 0 },
        { hour: "2026-01-01T03:00:00.000Z", success: 0, fail: 5 },
      ],
      400,
      100,
    );
    expect(g.max).toBe(10);
    expect(g.totalSuccess).toBe(13);
    expect(g.totalFail).toBe(6);
    const [a, b, c, d] = g.bars;
    expect(a).toMatchObject({ x: 0, width: 99, successY: 70, successHeight: 30, failY: 60, failHeight: 10 });
    expect(b).toMatchObject({ x: 100, successHeight: 0, failHeight: 0 });
    expect(c).toMatchObject({ x: 200, successY: 0, successHeight: 100 });
    expect(d).toMatchObject({ x: 300, successHeight: 0, failY: 50, failHeight: 50 });
  });

  it("draws nothing for no hours and never a bar above the chart", () => {
    expect(chartGeometry([], 400, 100)).toEqual({ bars: [], max: 1, totalSuccess: 0, totalFail: 0 });
    const g = chartGeometry([{ hour: "h", success: 7, fail: 6 }], 10, 100);
    expect(g.max).toBe(20);
    expect(g.bars[0]?.failY).toBeGreaterThanOrEqual(0);
  });
});

describe("example payloads from event type schemas", () => {
  it("prefers the schema's own example, from the newest version", () => {
    const schemas = {
      "1": { type: "object", examples: [{ v: 1 }] },
      "2": { type: "object", examples: [{ v: 2 }] },
    };
    expect(latestSchema(schemas)).toBe(schemas["2"]);
    expect(examplePayload(schemas)).toEqual({ v: 2 });
  });

  it("builds one from types, enums, defaults and formats", () => {
    const schema = {
      type: "object",
      properties: {
        id: { type: "string" },
        kind: { enum: ["created", "deleted"] },
        count: { type: "integer", minimum: 1 },
        ok: { type: "boolean", default: true },
        at: { type: "string", format: "date-time" },
        tags: { type: "array", items: { type: "string" } },
        owner: { type: ["object", "null"], properties: { name: { const: "x" } } },
      },
    };
    expect(examplePayload({ "1": schema })).toEqual({
      id: "string",
      kind: "created",
      count: 1,
      ok: true,
      at: "2024-01-01T00:00:00Z",
      tags: ["string"],
      owner: { name: "x" },
    });
  });

  it("answers null without a schema and stops at a bounded depth", () => {
    expect(examplePayload(null)).toBeNull();
    expect(examplePayload({})).toBeNull();
    const deep: Record<string, unknown> = { type: "object", properties: {} };
    let node = deep;
    for (let i = 0; i < 20; i++) {
      const child = { type: "object", properties: {} };
      (node.properties as Record<string, unknown>).next = child;
      node = child;
    }
    expect(JSON.stringify(examplePayload({ "1": deep })).split("next").length - 1).toBeLessThanOrEqual(7);
  });
});

describe("API errors as the page shows them", () => {
  it("shows detail, or each 422 issue with its field", () => {
    expect(errorMessage(409, { code: "conflict", detail: "Already exists" })).toBe("Already exists");
    expect(
      errorMessage(422, {
        detail: [
          { loc: ["body", "url"], msg: "must be https", type: "value_error" },
          { loc: ["body"], msg: "bad", type: "x" },
        ],
      }),
    ).toBe("url: must be https; bad");
    expect(errorMessage(502, null)).toBe("The request failed (HTTP 502).");
  });

  it("builds query strings from the set values only", () => {
    expect(query({ a: "1", b: "", c: undefined, d: null, e: 0 })).toBe("?a=1&e=0");
    expect(query({})).toBe("");
  });
});

describe("PORTAL_FRAME_ANCESTORS", () => {
  it("defaults to 'self' and accepts origins and 'self'", () => {
    expect(parseFrameAncestors(undefined)).toEqual(["'self'"]);
    expect(parseFrameAncestors("  ")).toEqual(["'self'"]);
    expect(parseFrameAncestors("https://Dash.example.com:8443 'self' http://localhost:3000")).toEqual([
      "https://dash.example.com:8443",
      "'self'",
      "http://localhost:3000",
    ]);
    expect(parseFrameAncestors("'none'")).toEqual(["'none'"]);
  });

  it("refuses wildcards, paths, schemes other than https, and 'unsafe-' keywords", () => {
    for (const bad of [
      "*",
      "https://*.example.com",
      "https://example.com/",
      "https://example.com/dashboard",
      "http://example.com",
      "example.com",
      "'unsafe-inline'",
      "https:",
      "data:",
      "'none' 'self'",
      "https://a.example.com;script-src",
    ]) {
      expect(() => parseFrameAncestors(bad), bad).toThrow(/PORTAL_FRAME_ANCESTORS/);
    }
  });
});
