import { invalid } from "../errors";
import type { IdPrefix } from "../lib/ids";

/**
 * Every route takes an id or a uid in the same place and looks both up at once (`id = ? OR
 * uid = ?`), so a uid shaped like an id could be another object's id: PATCH /app/B {"uid": "<A's
 * id>"} would make A's id name two applications. A uid never starts with its kind's id prefix.
 */
export function checkUidShape(
  uid: string | null | undefined,
  kind: Extract<IdPrefix, "app" | "ep" | "msg">,
  loc: (string | number)[],
): void {
  if (uid?.startsWith(`${kind}_`)) throw invalid(loc, `must not start with "${kind}_", the prefix of ids`);
}
