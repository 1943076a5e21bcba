import type { ValidationIssue } from "../errors";
import { byteLength } from "../queue/enqueue";
import { MAX_SCHEMA_ERRORS, patternError } from "./json-schema";

// Caps on an event type's `schemas` when it is saved. The validator runs the latest version
// on every message create, so what it may be asked to run is bounded here: its size, how deep
// it nests (the validator recurses with the schema) and that every pattern runs on RE2.

export const SCHEMA_LIMITS = {
  /** Serialized size of all versions together, in bytes (UTF-8). */
  maxBytes: 64 * 1024,
  /** Nesting of objects and arrays in one version's schema; the schema itself is level 1. */
  maxDepth: 32,
  /** Versions kept in one event type. */
  maxVersions: 20,
};

type Path = (string | number)[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Path (below `value`) of the first object or array deeper than `max`; descends no further. */
function tooDeep(value: unknown, max: number, path: Path = []): Path | null {
  if (typeof value !== "object" || value === null) return null;
  if (path.length >= max) return path;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const found = tooDeep(child, max, [...path, key]);
    if (found) return found;
  }
  return null;
}

/** The patterns RE2 refuses, at the places the validator would run them (see json-schema.ts). */
function badPatterns(schema: unknown, path: Path, found: ValidationIssue[]): void {
  if (!isObject(schema) || found.length >= MAX_SCHEMA_ERRORS) return;
  if (typeof schema.pattern === "string") {
    const error = patternError(schema.pattern);
    if (error) {
      found.push({
        loc: [...path, "pattern"],
        msg: `is not a supported regular expression (lookaround and backreferences are not): ${error}`,
        type: "value_error.pattern",
      });
    }
  }
  if (isObject(schema.properties)) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      badPatterns(sub, [...path, "properties", key], found);
    }
  }
  badPatterns(schema.additionalProperties, [...path, "additionalProperties"], found);
  badPatterns(schema.items, [...path, "items"], found);
}

/**
 * Why `schemas` cannot be saved, each issue located under `loc` (e.g. ["body", "schemas"]);
 * empty when it can. Cheap checks first: the depth check bounds the recursion of the others.
 */
export function schemasIssues(schemas: Record<string, unknown>, loc: Path): ValidationIssue[] {
  const versions = Object.keys(schemas);
  if (versions.length > SCHEMA_LIMITS.maxVersions) {
    return [
      {
        loc,
        msg: `must have at most ${SCHEMA_LIMITS.maxVersions} versions, got ${versions.length}`,
        type: "value_error.schema_limit",
      },
    ];
  }
  for (const version of versions) {
    const path = tooDeep(schemas[version], SCHEMA_LIMITS.maxDepth);
    if (path) {
      const msg = `is nested deeper than ${SCHEMA_LIMITS.maxDepth} levels of objects and arrays`;
      return [{ loc: [...loc, version, ...path], msg, type: "value_error.schema_limit" }];
    }
  }
  const bytes = byteLength(JSON.stringify(schemas));
  if (bytes > SCHEMA_LIMITS.maxBytes) {
    const msg = `must be at most ${SCHEMA_LIMITS.maxBytes} bytes as JSON, got ${bytes}`;
    return [{ loc, msg, type: "value_error.schema_limit" }];
  }
  const found: ValidationIssue[] = [];
  for (const version of versions) badPatterns(schemas[version], [...loc, version], found);
  return found;
}
