// The portal URL carries the application id, the token and the token's capabilities in its
// fragment (#app=...&token=...&capabilities=...): a fragment never reaches a server log or a
// Referer header. Pure, for tests.

export interface Session {
  appId: string;
  token: string;
  /** The token's capabilities, when the url names them (an older url does not: all assumed). */
  capabilities?: string[];
}

export function parseFragment(hash: string): Session | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const appId = params.get("app")?.trim() ?? "";
  const token = params.get("token")?.trim() ?? "";
  if (!appId || !token) return null;
  const caps = params.get("capabilities");
  if (caps === null) return { appId, token };
  return {
    appId,
    token,
    capabilities: caps
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
  };
}

/** What the page offers, each granted by any one of its capabilities (as the API checks them). */
const GRANTS = {
  manageEndpoints: ["ManageEndpoint"],
  viewSecret: ["ViewEndpointSecret", "ManageEndpointSecret", "ManageEndpoint"],
  rotateSecret: ["ManageEndpointSecret", "ManageEndpoint"],
  createAttempts: ["CreateAttempts"],
} as const;

export type Ability = keyof typeof GRANTS;

/**
 * Whether a token with `capabilities` may do `ability`. Only hides controls: the API enforces
 * the capabilities regardless, so an unknown list (an older url) shows everything.
 */
export function allows(capabilities: string[] | undefined, ability: Ability): boolean {
  if (capabilities === undefined) return true;
  return GRANTS[ability].some((c) => capabilities.includes(c));
}
