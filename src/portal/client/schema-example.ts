// An example payload for an event type, from its JSON Schema: the schema's own example when it
// has one, otherwise a value built from types, enums and defaults. Pure, for tests.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;

const isObject = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

/** The newest version's schema of an event type's `schemas` ({"1": {...}, "2": {...}}). */
export function latestSchema(schemas: unknown): Schema | null {
  if (!isObject(schemas)) return null;
  const versions = Object.keys(schemas).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
  for (const v of versions) {
    const schema = schemas[v];
    if (isObject(schema)) return schema;
  }
  return null;
}

function firstType(schema: Schema): string | undefined {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== "null") ?? t[0];
  return typeof t === "string" ? t : undefined;
}

function fromProperties(schema: Schema, depth: number): Json {
  const out: Record<string, Json> = {};
  const props = isObject(schema.properties) ? schema.properties : {};
  for (const [name, sub] of Object.entries(props)) out[name] = exampleValue(sub, depth + 1);
  return out;
}

export function exampleValue(schema: unknown, depth = 0): Json {
  if (!isObject(schema) || depth > MAX_DEPTH) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0] as Json;
  for (const key of ["example", "const", "default"]) {
    if (key in schema) return schema[key] as Json;
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as Json;
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) return exampleValue(list[0], depth + 1);
  }
  switch (firstType(schema) ?? (isObject(schema.properties) ? "object" : undefined)) {
    case "object":
      return fromProperties(schema, depth);
    case "array":
      return schema.items === undefined ? [] : [exampleValue(schema.items, depth + 1)];
    case "string":
      return schema.format === "date-time" ? "2024-01-01T00:00:00Z" : "string";
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    default:
      return null;
  }
}

/** The example payload of an event type's schemas, or null when it has none. */
export function examplePayload(schemas: unknown): Json {
  const schema = latestSchema(schemas);
  return schema ? exampleValue(schema) : null;
}
