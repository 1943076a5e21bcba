import { describe, expect, it } from "vitest";
import { latestSchema, validateJsonSchema } from "../../src/services/json-schema";

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
