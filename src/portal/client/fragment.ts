// The portal URL carries the application id and token in its fragment (#app=...&token=...):
// a fragment never reaches a server log or a Referer header. Pure, for tests.

export interface Session {
  appId: string;
  token: string;
}

export function parseFragment(hash: string): Session | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const appId = params.get("app")?.trim() ?? "";
  const token = params.get("token")?.trim() ?? "";
  return appId && token ? { appId, token } : null;
}
