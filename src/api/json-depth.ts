import type { MiddlewareHandler } from "hono";
import { invalid } from "../errors";
import { jsonDeeperThan } from "../lib/json-depth";
import type { AppEnv } from "../types";

/** The media types Hono's JSON validator parses (hono/validator): only those are scanned. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Refuses JSON bodies nested deeper than `maxDepth` with a 422 at ["body"], before a route's
 * validator parses them. It reads the body as text; Hono caches it, so the validator parses
 * the same text afterwards.
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
