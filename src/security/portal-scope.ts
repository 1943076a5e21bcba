import type { PortalAuth, PortalCapability } from "../types";

// What an app-portal token may call: the one table of the portal contract (issue 12), checked
// by the auth middleware before any route runs. A route missing here is refused (403), so a
// route added later is closed to portal tokens until it is listed.

export const PORTAL_CAPABILITIES = [
  "ViewBase",
  "ViewEndpointSecret",
  "ManageEndpointSecret",
  "ManageTransformations",
  "CreateAttempts",
  "ManageEndpoint",
] as const satisfies readonly PortalCapability[];

/** Any one of `anyOf` grants the rule; `what` completes "This token cannot ...". */
interface Grant {
  anyOf: PortalCapability[] | "any";
  what: string;
}

const VIEW: Grant = { anyOf: ["ViewBase"], what: "read this application" };
const SECRET: Grant = {
  anyOf: ["ViewEndpointSecret", "ManageEndpointSecret", "ManageEndpoint"],
  what: "view endpoint secrets",
};
const ROTATE: Grant = { anyOf: ["ManageEndpointSecret", "ManageEndpoint"], what: "rotate endpoint secrets" };
const MANAGE: Grant = { anyOf: ["ManageEndpoint"], what: "manage endpoints" };
const ATTEMPTS: Grant = { anyOf: ["CreateAttempts"], what: "resend, recover or send example messages" };
const LOGOUT: Grant = { anyOf: "any", what: "log out" };

/**
 * Method and path under /api/v1, first match wins. `:app` is the token's application (id or
 * uid), `:x` any one segment, `**` any rest. Every GET of the application is a read except the
 * secret, listed before it.
 */
const RULES: [string, string, Grant][] = [
  ["POST", "/auth/logout", LOGOUT],
  ["GET", "/event-type", VIEW],
  ["GET", "/event-type/:x", VIEW],
  ["GET", "/background-task", VIEW],
  ["GET", "/background-task/:x", VIEW],
  ["GET", "/app/:app/endpoint/:x/secret", SECRET],
  ["POST", "/app/:app/endpoint/:x/secret/rotate", ROTATE],
  ["GET", "/app/:app", VIEW],
  ["GET", "/app/:app/**", VIEW],
  ["POST", "/app/:app/endpoint", MANAGE],
  ["PUT", "/app/:app/endpoint/:x", MANAGE],
  ["PATCH", "/app/:app/endpoint/:x", MANAGE],
  ["DELETE", "/app/:app/endpoint/:x", MANAGE],
  ["PUT", "/app/:app/endpoint/:x/headers", MANAGE],
  ["PATCH", "/app/:app/endpoint/:x/headers", MANAGE],
  ["POST", "/app/:app/endpoint/:x/recover", ATTEMPTS],
  ["POST", "/app/:app/endpoint/:x/send-example", ATTEMPTS],
  ["POST", "/app/:app/msg/:x/endpoint/:x/resend", ATTEMPTS],
];

const PREFIX = "/api/v1";

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The `:app` segment when `path` has the rule's shape, "" for a rule without one, else null. */
function matchRule(pattern: string[], path: string[]): string | null {
  let app = "";
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i];
    // The rest: one segment or more, none empty (an empty one is a path no route serves).
    if (want === "**") return path.length > i && !path.slice(i).includes("") ? app : null;
    const got = path[i];
    if (got === undefined || got === "") return null;
    if (want === ":app") app = decoded(got);
    else if (want !== ":x" && want !== got) return null;
  }
  return path.length === pattern.length ? app : null;
}

const COMPILED = RULES.map(([method, pattern, grant]) => ({
  method,
  segments: pattern.split("/").slice(1),
  grant,
}));

/**
 * Why `auth` may not call `method path`, as the detail of a 403, or null when it may. An
 * application route must name the token's application by its id or current uid.
 */
export function portalRefusal(auth: PortalAuth, method: string, path: string): string | null {
  if (!path.startsWith(`${PREFIX}/`)) return "This token cannot use this route";
  const segments = path.slice(PREFIX.length).split("/").slice(1);
  const verb = method === "HEAD" ? "GET" : method;
  for (const rule of COMPILED) {
    if (rule.method !== verb) continue;
    const app = matchRule(rule.segments, segments);
    if (app === null) continue;
    if (app && app !== auth.appId && app !== auth.appUid)
      return "This token cannot access another application";
    const { anyOf, what } = rule.grant;
    if (anyOf === "any" || anyOf.some((c) => auth.capabilities.includes(c))) return null;
    return `This token cannot ${what}`;
  }
  return "This token cannot use this route";
}
