import type { ValidationIssue } from "../errors";
import { byteLength } from "../queue/enqueue";
import { MAX_SCHEMA_ERRORS, patternProgram } from "./json-schema";

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
  /**
   * RE2 program size of one pattern. Compiling and matching cost grows with it (a 50 KB literal
   * takes ~400 ms to compile); real patterns are far below: a UUID is 40, `^.{1,255}$` 513.
   */
  maxPatternSize: 1_000,
};

type Path = (string | number)[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Path (below `value`) of the first object or array deeper than `max`; descends no further. */
function tooDeep(value: unknown, max: number, path: Path = []): Path | null {
  if (typeof value !== "object" || value === null) return null;
  if (path.length >= max) return [...path];
  for (const [key, child] of Object.entries(value)) {
    path.push(Array.isArray(value) ? Number(key) : key);
    const found = tooDeep(child, max, path);
    path.pop();
    if (found) return found;
  }
  return null;
}

function patternIssue(pattern: string): string | null {
  const program = patternProgram(pattern);
  if ("error" in program) {
    return `is not a supported regular expression (lookaround and backreferences are not): ${program.error}`;
  }
  if (program.size > SCHEMA_LIMITS.maxPatternSize) {
    return `is too large: its RE2 program has ${program.size} instructions, at most ${SCHEMA_LIMITS.maxPatternSize}`;
  }
  return null;
}

/** The patterns RE2 refuses, at the places the validator would run them (see json-schema.ts). */
function badPatterns(schema: unknown, path: Path, found: ValidationIssue[]): void {
  if (!isObject(schema) || found.length >= MAX_SCHEMA_ERRORS) return;
  if (typeof schema.pattern === "string") {
    const msg = patternIssue(schema.pattern);
    if (msg) found.push({ loc: [...path, "pattern"], msg, type: "value_error.pattern" });
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
