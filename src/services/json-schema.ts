// A small JSON Schema validator for event type payloads. It covers the keywords event type
// schemas use in practice: type, properties, required, additionalProperties, items, enum,
// const, minimum/maximum (and exclusive forms), minLength/maxLength, minItems/maxItems and
// pattern. Other keywords ($ref, oneOf, format, ...) are ignored, so an unsupported schema
// accepts more than it should rather than rejecting valid payloads.

export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaError {
  /** Path to the offending value, e.g. ["payload", "user", "email"]. */
  path: (string | number)[];
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

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

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

export function validateJsonSchema(
  schema: JsonSchema,
  value: unknown,
  path: (string | number)[] = [],
  errors: SchemaError[] = [],
): SchemaError[] {
  if (schema === true) return errors;
  if (schema === false) {
    errors.push({ path, message: "no value is allowed here" });
    return errors;
  }
  if (!isObject(schema)) return errors;
  const fail = (message: string) => errors.push({ path, message });

  const types =
    typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : null;
  if (types && !types.some((t) => typeof t === "string" && matchesType(value, t))) {
    fail(`must be of type ${types.join(" or ")}, got ${typeOf(value)}`);
    return errors;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value))) {
    fail(`must be one of ${JSON.stringify(schema.enum)}`);
  }
  if ("const" in schema && !deepEqual(schema.const, value))
    fail(`must equal ${JSON.stringify(schema.const)}`);

  if (typeof value === "number") checkNumber(schema, value, fail);
  if (typeof value === "string") checkString(schema, value, fail);
  if (Array.isArray(value)) {
    const min = num(schema.minItems);
    const max = num(schema.maxItems);
    if (min !== undefined && value.length < min) fail(`must have at least ${min} items`);
    if (max !== undefined && value.length > max) fail(`must have at most ${max} items`);
    if (schema.items !== undefined && (isObject(schema.items) || typeof schema.items === "boolean")) {
      const items = schema.items as JsonSchema;
      value.forEach((item, i) => {
        validateJsonSchema(items, item, [...path, i], errors);
      });
    }
  }
  if (isObject(value)) checkObject(schema, value, path, errors);
  return errors;
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
  const length = [...value].length;
  const min = num(schema.minLength);
  const max = num(schema.maxLength);
  if (min !== undefined && length < min) fail(`must be at least ${min} characters long`);
  if (max !== undefined && length > max) fail(`must be at most ${max} characters long`);
  if (typeof schema.pattern === "string") {
    let re: RegExp | null = null;
    try {
      re = new RegExp(schema.pattern, "u");
    } catch {
      // An invalid pattern in a stored schema cannot be the sender's fault: ignore it.
    }
    if (re && !re.test(value)) fail(`must match the pattern ${schema.pattern}`);
  }
}

function checkObject(
  schema: Record<string, unknown>,
  value: Record<string, unknown>,
  path: (string | number)[],
  errors: SchemaError[],
) {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const key of schema.required) {
      if (typeof key === "string" && !(key in value)) {
        errors.push({ path: [...path, key], message: "is a required property" });
      }
    }
  }
  for (const [key, child] of Object.entries(value)) {
    const sub = properties[key];
    if (sub !== undefined) {
      validateJsonSchema(sub as JsonSchema, child, [...path, key], errors);
    } else if (schema.additionalProperties === false) {
      errors.push({ path: [...path, key], message: "is not an allowed property" });
    } else if (isObject(schema.additionalProperties)) {
      validateJsonSchema(schema.additionalProperties, child, [...path, key], errors);
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
