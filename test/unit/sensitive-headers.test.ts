import { describe, expect, it } from "vitest";
import { isSensitiveHeader, redactHeaders } from "../../src/services/endpoint-input-rules";

// Header names that suggest a credential are never read back (GET .../headers names them in
// `sensitive`); everything else is shown.
const REDACTED = [
  "Authorization",
  "Proxy-Authorization",
  "X-Webhook-Secret",
  "Private-Token",
  "X-Api-Key",
  "X_API_KEY",
  "apikey",
  "Api-Key",
  "X-Functions-Key",
  "Ocp-Apim-Subscription-Key",
  "X-Auth",
  "X-OAuth-Client",
  "X-Session-Id",
  "Cookie",
  "X-Cookie",
  "X-Hub-Signature-256",
  "X-Sig",
  "X-Password",
  "X-Passwd",
  "X-Pass",
  "X-Pwd",
  "X-Credentials",
  "X-CSRF-Token",
  "X-Xsrf",
  "X-Jwt",
  "X-Bearer",
];
const VISIBLE = [
  "X-Request-Id",
  "X-Foo",
  "X-Example",
  "X-Keep",
  "X-Tenant",
  "Accept",
  "X-Design",
  "X-Passenger",
  "X-Bypass-Cache",
  "X-Monday",
];

describe("isSensitiveHeader", () => {
  it.each(REDACTED)("redacts %s", (name) => {
    expect(isSensitiveHeader(name)).toBe(true);
    expect(isSensitiveHeader(name.toLowerCase())).toBe(true);
    expect(isSensitiveHeader(name.toUpperCase())).toBe(true);
  });

  it.each(VISIBLE)("shows %s", (name) => {
    expect(isSensitiveHeader(name)).toBe(false);
  });

  it("redactHeaders leaves out sensitive values and names them", () => {
    const headers = Object.fromEntries([...REDACTED, ...VISIBLE].map((n) => [n, `value-of-${n}`]));
    const view = redactHeaders(headers);
    expect(view.sensitive.sort()).toEqual([...REDACTED].sort());
    expect(Object.keys(view.headers).sort()).toEqual([...VISIBLE].sort());
    for (const name of REDACTED) expect(JSON.stringify(view.headers)).not.toContain(`"value-of-${name}"`);
  });
});
