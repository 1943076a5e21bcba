import { describe, expect, it } from "vitest";
import {
  compiledPattern,
  type JsonSchema,
  latestSchema,
  MAX_SCHEMA_ERRORS,
  validateJsonSchema,
} from "../../src/services/json-schema";
import { SCHEMA_LIMITS, schemasIssues } from "../../src/services/schema-limits";

const paths = (schema: Parameters<typeof validateJsonSchema>[0], value: unknown) =>
  validateJsonSchema(schema, value).map((e) => e.path.join("."));

describe("JSON Schema validator", () => {
  const user = {
    type: "object",
    properties: {
      id: { type: "integer", minimum: 1 },
      email: { type: "string", pattern: "^[^@]+@[^@]+$", maxLength: 20 },
      plan: { enum: ["free", "pro"] },
      tags: { type: "array", items: { type: "string", minLength: 1 }, maxItems: 2 },
      address: { type: "object", properties: { zip: { type: "string" } }, required: ["zip"] },
      score: { type: "number", exclusiveMaximum: 10 },
      nick: { type: ["string", "null"] },
    },
    required: ["id", "email"],
    additionalProperties: false,
  };

  it("accepts a valid document", () => {
    expect(
      validateJsonSchema(user, {
        id: 3,
        email: "a@b.c",
        plan: "pro",
        tags: ["x"],
        address: { zip: "1000" },
        score: 9.5,
        nick: null,
      }),
    ).toEqual([]);
  });

  it("reports each violation with its path", () => {
    expect(
      paths(user, {
        id: 1.5,
        email: "not-an-email",
        plan: "gold",
        tags: ["", "b", "c"],
        address: {},
        score: 10,
        extra: 1,
      }).sort(),
    ).toEqual(["address.zip", "email", "extra", "id", "plan", "score", "tags", "tags.0"].sort());
    expect(paths(user, {}).sort()).toEqual(["email", "id"]);
    expect(paths(user, [])).toEqual([""]);
  });

  it("checks string lengths, numbers and item counts", () => {
    expect(paths({ type: "string", minLength: 2, maxLength: 3 }, "a")).toEqual([""]);
    expect(paths({ type: "string", maxLength: 3 }, "abcd")).toEqual([""]);
    expect(paths({ type: "number", minimum: 0, maximum: 5 }, 6)).toEqual([""]);
    expect(paths({ type: "number", exclusiveMinimum: 0 }, 0)).toEqual([""]);
    expect(paths({ type: "array", minItems: 1 }, [])).toEqual([""]);
    expect(paths({ type: "integer" }, 2)).toEqual([]);
    expect(paths({ type: "number" }, 2)).toEqual([]);
    expect(paths({ const: "x" }, "y")).toEqual([""]);
  });

  it("validates additionalProperties given as a schema, and boolean schemas", () => {
    const schema = { type: "object", additionalProperties: { type: "number" } };
    expect(paths(schema, { a: 1, b: "x" })).toEqual(["b"]);
    expect(paths(true, 1)).toEqual([]);
    expect(paths(false, 1)).toEqual([""]);
  });

  it("ignores keywords it does not support instead of rejecting", () => {
    expect(validateJsonSchema({ $ref: "#/defs/x", format: "email", oneOf: [] }, "anything")).toEqual([]);
  });

  it("picks the schema of the highest version", () => {
    expect(latestSchema({ "1": { a: 1 }, "10": { b: 2 }, "2": { c: 3 } })).toEqual({ b: 2 });
    expect(latestSchema(null)).toBeNull();
    expect(latestSchema({})).toBeNull();
  });
});

describe("JSON Schema validator cost", () => {
  const bigEnum = Array.from({ length: 250 }, (_, i) => `value-${i}-${"x".repeat(20)}`);

  it("stops after a bounded number of errors, with messages that do not repeat the enum", () => {
    const schema = { type: "array", items: { enum: bigEnum } };
    const payload = Array.from({ length: 100_000 }, (_, i) => i);
    const errors = validateJsonSchema(schema, payload);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(MAX_SCHEMA_ERRORS);
    expect(JSON.stringify(errors).length).toBeLessThan(10_000);
    for (const e of errors) expect(e.message).toMatch(/250 allowed values/);
  });

  it("stops validating, not only collecting, once the error budget is spent", () => {
    const payload: unknown[] = Array.from({ length: 1_000 }, () => "wrong");
    let touched = false;
    Object.defineProperty(payload, 999, {
      get: () => {
        touched = true;
        return "wrong";
      },
    });
    const errors = validateJsonSchema({ type: "array", items: { type: "number" } }, payload);
    expect(errors).toHaveLength(MAX_SCHEMA_ERRORS);
    expect(touched).toBe(false);
  });

  it("bounds every message and path segment, whatever the schema or payload holds", () => {
    const long = "k".repeat(50_000);
    const cases: [unknown, unknown][] = [
      [{ const: { a: long } }, "x"],
      [{ type: Array.from({ length: 5_000 }, () => "string") }, 1],
      [{ type: "string", pattern: `${"a".repeat(5_000)}$` }, "b"],
      [{ type: "object", additionalProperties: false }, { [long]: 1 }],
      [{ type: "object", required: [long] }, {}],
      [{ enum: [long] }, "y"],
    ];
    for (const [schema, value] of cases) {
      const errors = validateJsonSchema(schema as JsonSchema, value);
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors).length).toBeLessThan(1_000);
    }
  });

  it("keeps a short enum in its message", () => {
    expect(validateJsonSchema({ enum: ["free", "pro"] }, "gold")[0]?.message).toBe(
      'must be one of ["free","pro"]',
    );
  });

  it("compares enum and const values as JSON, whatever the key order", () => {
    expect(paths({ enum: [{ a: 1, b: [1, 2] }] }, { b: [1, 2], a: 1 })).toEqual([]);
    expect(paths({ const: { a: 1, b: 2 } }, { b: 2, a: 1 })).toEqual([]);
    expect(paths({ enum: ["1", null] }, 1)).toEqual([""]);
    expect(paths({ enum: [1, null] }, null)).toEqual([]);
    expect(paths({ enum: [[1, 2]] }, [2, 1])).toEqual([""]);
    expect(paths({ const: { a: 1 } }, { a: 1, b: 2 })).toEqual([""]);
  });

  it("runs patterns on a linear-time engine", () => {
    const schema = { type: "string", pattern: "^(a+)+$" };
    expect(paths(schema, `${"a".repeat(40)}!`)).toEqual([""]);
    expect(paths(schema, "a".repeat(40))).toEqual([]);
    expect(paths({ type: "string", pattern: "b" }, "abc")).toEqual([]);
    expect(paths({ type: "string", pattern: "^\\u0041\\d{2}$" }, "A12")).toEqual([]);
  });

  it("ignores a stored pattern the linear engine cannot run (lookaround, backreferences)", () => {
    expect(paths({ type: "string", pattern: "^(?=x)y" }, "y")).toEqual([]);
    expect(paths({ type: "string", pattern: "^(a)\\1$" }, "ab")).toEqual([]);
  });

  it("compiles each pattern once per schema object", () => {
    const schema = { type: "string", pattern: "^a" };
    expect(compiledPattern(schema)).not.toBeNull();
    expect(compiledPattern(schema)).toBe(compiledPattern(schema));
    expect(compiledPattern({ pattern: "(?<=a)b" })).toBeNull();
  });
});

describe("event type schema limits", () => {
  const loc = ["body", "schemas"];

  it("accepts an ordinary schema", () => {
    expect(schemasIssues({ "1": { type: "object", properties: { a: { pattern: "^a+$" } } } }, loc)).toEqual(
      [],
    );
  });

  it("refuses patterns the linear engine cannot compile, naming their path", () => {
    const schemas = {
      "1": {
        type: "object",
        properties: {
          pattern: { type: "string", pattern: "^(?=.*\\d).+$" },
          list: { type: "array", items: { pattern: "(a)\\1" } },
          ok: { pattern: "^[a-z]+$" },
        },
        additionalProperties: { pattern: "(?<!x)y" },
      },
    };
    expect(schemasIssues(schemas, loc).map((i) => i.loc)).toEqual([
      [...loc, "1", "properties", "pattern", "pattern"],
      [...loc, "1", "properties", "list", "items", "pattern"],
      [...loc, "1", "additionalProperties", "pattern"],
    ]);
  });

  it("refuses patterns too large for the linear engine to compile and run cheaply", () => {
    const real = [
      "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
      "^.{1,255}$",
      "^\\p{L}+$",
    ];
    for (const pattern of real) expect(schemasIssues({ "1": { pattern } }, loc)).toEqual([]);
    for (const pattern of ["a".repeat(5_000), "a.{1000}b"]) {
      expect(schemasIssues({ "1": { pattern } }, loc)).toMatchObject([
        { loc: [...loc, "1", "pattern"], msg: expect.stringMatching(/too large/) },
      ]);
    }
  });

  it("refuses too many versions, too deep or too large schemas", () => {
    const versions = Object.fromEntries(
      Array.from({ length: SCHEMA_LIMITS.maxVersions + 1 }, (_, i) => [`${i + 1}`, {}]),
    );
    expect(schemasIssues(versions, loc).map((i) => i.loc)).toEqual([loc]);

    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 120_000; i++) deep = { items: deep };
    const [issue] = schemasIssues({ "1": deep }, loc);
    expect(issue?.loc.slice(0, 3)).toEqual([...loc, "1"]);
    expect(issue?.loc).toHaveLength(3 + SCHEMA_LIMITS.maxDepth);
    expect(issue?.msg).toMatch(/nested/);

    let atLimit: Record<string, unknown> = {};
    for (let i = 1; i < SCHEMA_LIMITS.maxDepth; i++) atLimit = { not: atLimit };
    expect(schemasIssues({ "1": atLimit }, loc)).toEqual([]);
    expect(schemasIssues({ "1": { not: atLimit } }, loc)).toHaveLength(1);

    const big = { "1": { description: "d".repeat(SCHEMA_LIMITS.maxBytes) } };
    expect(schemasIssues(big, loc).map((i) => i.loc)).toEqual([loc]);
  });
});
