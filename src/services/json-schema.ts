import { RE2JS } from "re2js";

// A small JSON Schema validator for event type payloads. It covers the keywords event type
// schemas use in practice: type, properties, required, additionalProperties, items, enum,
// const, minimum/maximum (and exclusive forms), minLength/maxLength, minItems/maxItems and
// pattern. Other keywords ($ref, oneOf, format, ...) are ignored, so an unsupported schema
// accepts more than it should rather than rejecting valid payloads.
//
// It runs on every message create against a schema and a payload that senders write, so its
// cost is bounded: it stops at MAX_SCHEMA_ERRORS, messages and paths have a length cap, enum
// and const compare canonical JSON (linear in the value, whatever the enum's size) and
// patterns run on RE2 (linear time, no catastrophic backtracking), compiled once per schema.

export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaError {
  /** Path to the offending value, e.g. ["payload", "user", "email"]. */
  path: (string | number)[];
  message: string;
}

/** Validation stops at this many errors: a sender needs the first few, not 100k of them. */
export const MAX_SCHEMA_ERRORS = 20;
/** Messages quote schema text (enums, patterns) that may be kilobytes long: cut them here. */
const MAX_MESSAGE_CHARS = 200;
/** A payload key can be as long as the payload; the path names it by its start. */
const MAX_KEY_CHARS = 100;
/** Deeper than any payload may nest (createMessage checks): a guard for the stack, not a rule. */
const MAX_VALIDATION_DEPTH = 128;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/** JSON text with object keys sorted: equal JSON values (JSON Schema equality) give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** An RE2 program for a JSON Schema (ECMA-262) pattern, or why RE2 cannot run it. */
function compilePattern(source: string): { re: RE2JS } | { error: string } {
  try {
    return { re: RE2JS.compile(RE2JS.translateRegExp(source)) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * What RE2 makes of a pattern: its program size (RE2's measure of a pattern's cost to compile
 * and to run per input character), or why it refuses it (lookaround, backreferences, syntax).
 */
export function patternProgram(source: string): { size: number } | { error: string } {
  const compiled = compilePattern(source);
  if ("error" in compiled) return { error: truncate(compiled.error, MAX_MESSAGE_CHARS) };
  return { size: compiled.re.programSize() };
}

/** What a schema object needs compiled once rather than per value. */
interface Compiled {
  pattern?: RE2JS | null;
  enum?: { keys: Set<string>; message: string };
  const?: { key: string; message: string };
}

const compiledSchemas = new WeakMap<object, Compiled>();

function compiled(schema: Record<string, unknown>): Compiled {
  let entry = compiledSchemas.get(schema);
  if (!entry) {
    entry = {};
    compiledSchemas.set(schema, entry);
  }
  return entry;
}

/** The schema's `pattern` compiled once; null when absent or not runnable (ignored). */
export function compiledPattern(schema: Record<string, unknown>): RE2JS | null {
  const entry = compiled(schema);
  if (entry.pattern === undefined) {
    const result = typeof schema.pattern === "string" ? compilePattern(schema.pattern) : null;
    entry.pattern = result && "re" in result ? result.re : null;
  }
  return entry.pattern;
}

function enumRule(schema: Record<string, unknown>, values: unknown[]) {
  const entry = compiled(schema);
  if (!entry.enum) {
    const keys = values.map(canonical);
    const all = `[${keys.join(",")}]`;
    const message =
      all.length <= 100
        ? `must be one of ${all}`
        : `must be one of the ${keys.length} allowed values, e.g. ${truncate(all, 100)}`;
    entry.enum = { keys: new Set(keys), message };
  }
  return entry.enum;
}

function constRule(schema: Record<string, unknown>) {
  const entry = compiled(schema);
  if (!entry.const) {
    const key = canonical(schema.const);
    entry.const = { key, message: `must equal ${truncate(key, 100)}` };
  }
  return entry.const;
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** Collects errors up to MAX_SCHEMA_ERRORS, each with a bounded message and path. */
class Errors {
  readonly list: SchemaError[] = [];
  get full(): boolean {
    return this.list.length >= MAX_SCHEMA_ERRORS;
  }
  add(path: (string | number)[], message: string): void {
    if (this.full) return;
    const bounded = path.map((p) => (typeof p === "string" ? truncate(p, MAX_KEY_CHARS) : p));
    this.list.push({ path: bounded, message: truncate(message, MAX_MESSAGE_CHARS) });
  }
}

/** The errors of `value` against `schema`: at most MAX_SCHEMA_ERRORS, in document order. */
export function validateJsonSchema(
  schema: JsonSchema,
  value: unknown,
  path: (string | number)[] = [],
): SchemaError[] {
  const errors = new Errors();
  visit(schema, value, path, errors);
  return errors.list;
}

function visit(schema: unknown, value: unknown, path: (string | number)[], errors: Errors): void {
  if (errors.full || schema === true) return;
  if (schema === false) {
    errors.add(path, "no value is allowed here");
    return;
  }
  if (!isObject(schema)) return;
  if (path.length > MAX_VALIDATION_DEPTH) {
    errors.add(path, "is nested too deeply to validate");
    return;
  }
  const fail = (message: string) => errors.add(path, message);

  const types =
    typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : null;
  if (types && !types.some((t) => typeof t === "string" && matchesType(value, t))) {
    fail(`must be of type ${types.join(" or ")}, got ${typeOf(value)}`);
    return;
  }
  checkEquality(schema, value, fail);
  if (typeof value === "number") checkNumber(schema, value, fail);
  if (typeof value === "string") checkString(schema, value, fail);
  if (Array.isArray(value)) checkArray(schema, value, path, errors);
  if (isObject(value)) checkObject(schema, value, path, errors);
}

/** enum and const: one canonical form of the value, looked up (not compared value by value). */
function checkEquality(schema: Record<string, unknown>, value: unknown, fail: (m: string) => void) {
  const hasEnum = Array.isArray(schema.enum);
  const hasConst = "const" in schema;
  if (!hasEnum && !hasConst) return;
  const key = canonical(value);
  if (Array.isArray(schema.enum)) {
    const rule = enumRule(schema, schema.enum);
    if (!rule.keys.has(key)) fail(rule.message);
  }
  if (hasConst) {
    const rule = constRule(schema);
    if (rule.key !== key) fail(rule.message);
  }
}

function checkNumber(schema: Record<string, unknown>, value: number, fail: (m: string) => void) {
  const min = num(schema.minimum);
  const max = num(schema.maximum);
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  if (min !== undefined && value < min) fail(`must be >= ${min}`);
  if (max !== undefined && value > max) fail(`must be <= ${max}`);
  if (exMin !== undefined && value <= exMin) fail(`must be > ${exMin}`);
  if (exMax !== undefined && value >= exMax) fail(`must be < ${exMax}`);
}

function checkString(schema: Record<string, unknown>, value: string, fail: (m: string) => void) {
  const min = num(schema.minLength);
  const max = num(schema.maxLength);
  if (min !== undefined || max !== undefined) {
    const length = [...value].length;
    if (min !== undefined && length < min) fail(`must be at least ${min} characters long`);
    if (max !== undefined && length > max) fail(`must be at most ${max} characters long`);
  }
  // A stored pattern RE2 cannot run (saved before patterns were checked) is not the sender's
  // fault: it is ignored, as an unsupported keyword is.
  const re = compiledPattern(schema);
  if (re && !re.test(value)) fail(`must match the pattern ${schema.pattern}`);
}

function checkArray(
  schema: Record<string, unknown>,
  value: unknown[],
  path: (string | number)[],
  errors: Errors,
) {
  const min = num(schema.minItems);
  const max = num(schema.maxItems);
  if (min !== undefined && value.length < min) errors.add(path, `must have at least ${min} items`);
  if (max !== undefined && value.length > max) errors.add(path, `must have at most ${max} items`);
  const items = schema.items;
  if (!isObject(items) && typeof items !== "boolean") return;
  for (let i = 0; i < value.length && !errors.full; i++) visit(items, value[i], [...path, i], errors);
}

function checkObject(
  schema: Record<string, unknown>,
  value: Record<string, unknown>,
  path: (string | number)[],
  errors: Errors,
) {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const key of schema.required) {
      if (errors.full) return;
      if (typeof key === "string" && !Object.hasOwn(value, key))
        errors.add([...path, key], "is a required property");
    }
  }
  for (const key of Object.keys(value)) {
    if (errors.full) return;
    const sub = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (sub !== undefined) {
      visit(sub, value[key], [...path, key], errors);
    } else if (schema.additionalProperties === false) {
      errors.add([...path, key], "is not an allowed property");
    } else if (isObject(schema.additionalProperties)) {
      visit(schema.additionalProperties, value[key], [...path, key], errors);
    }
  }
}

/** The schema of the highest version in an event type's `schemas` object ({"1": {...}, "2": {...}}). */
export function latestSchema(schemas: Record<string, unknown> | null): JsonSchema | null {
  if (!schemas) return null;
  const versions = Object.keys(schemas).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const latest = versions[versions.length - 1];
  if (latest === undefined) return null;
  const schema = schemas[latest];
  return isObject(schema) || typeof schema === "boolean" ? schema : null;
}
