import type { MiddlewareHandler } from "hono";
import { invalid } from "../errors";
import type { AppEnv } from "../types";

// JSON.parse takes a body nested 100k levels deep, but what comes after it does not:
// JSON.stringify, the schema validator and zod recurse with the value and run out of stack
// (a 500). A linear scan of the text refuses such bodies before anything parses them.

/** How deep a request body may nest arrays and objects; the body itself is level 1. */
export const MAX_BODY_DEPTH = 64;

/** The media types Hono's JSON validator parses (hono/validator): only those are scanned. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether a JSON text nests arrays and objects more than `max` levels deep. Brackets inside
 * strings (escapes honoured) do not count; malformed text is left for the parser to refuse.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) {
      inString = true;
    } else if (OPEN.has(ch)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(ch)) {
      depth--;
    }
  }
  return false;
}

/**
 * Refuses JSON bodies nested deeper than `maxDepth` with a 422 at ["body"]. It reads the body
 * as text; Hono caches it, so the route's validator parses the same text afterwards.
 */
export function jsonDepthLimit({ maxDepth }: { maxDepth: number }): MiddlewareHandler<AppEnv> {
  return async function jsonDepthLimit(c, next) {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (c.req.raw.body && JSON_MEDIA_TYPE.test(mediaType)) {
      if (jsonDeeperThan(await c.req.text(), maxDepth)) {
        throw invalid(
          ["body"],
          `must not nest arrays and objects more than ${maxDepth} levels deep`,
          "value_error.json_depth",
        );
      }
    }
    return next();
  };
}
