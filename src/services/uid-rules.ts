import { invalid } from "../errors";

/** Every prefix an Edgehook id starts with (src/lib/ids.ts, and background tasks' qtask_). */
const ID_PREFIXES = ["app_", "ep_", "msg_", "atmpt_", "evt_", "qtask_"];

/**
 * Every route takes an id or a uid in the same place and looks both up at once (`id = ? OR
 * uid = ?`), so a uid shaped like an id could be another object's id: PATCH /app/B {"uid": "<A's
 * id>"} would make A's id name two applications, and PUT /endpoint/<an app id> would create an
 * endpoint whose uid is an application's id. A uid (or eventId) never starts with an id prefix.
 */
export function checkUidShape(uid: string | null | undefined, loc: (string | number)[]): void {
  const prefix = uid ? ID_PREFIXES.find((p) => uid.startsWith(p)) : undefined;
  if (prefix) throw invalid(loc, `must not start with "${prefix}", the prefix of an id`);
}
