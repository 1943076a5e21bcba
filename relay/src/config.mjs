// The relay's configuration from its environment (README.md, "Configuration"). Anything
// missing or malformed stops the relay at start rather than at the first delivery.

import { readFileSync } from "node:fs";
import { isIP } from "node:net";

function integer(env, name, fallback, min = 1) {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}.`);
  return n;
}

function list(text) {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** RELAY_ALLOWED_PORTS: extra destination ports, comma-separated, beyond 80 and 443. */
function ports(text) {
  return list(text).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new Error(`RELAY_ALLOWED_PORTS: ${p} is not a port.`);
    return n;
  });
}

/** RELAY_HOSTS (tests only): `name=address` pairs, comma-separated, answered instead of DNS. */
export function hostsMap(text) {
  const map = new Map();
  for (const pair of list(text)) {
    const [name, address] = pair.split("=").map((s) => s.trim());
    if (!name || !address || !isIP(address)) throw new Error(`RELAY_HOSTS: "${pair}" is not name=address.`);
    map.set(name.toLowerCase(), address);
  }
  return map;
}

/** RELAY_SECRET: one secret, or several comma-separated while rotating (any of them verifies). */
function secrets(text) {
  const all = list(text);
  if (all.length === 0) throw new Error("RELAY_SECRET is required.");
  if (all.some((s) => s.length < 32))
    throw new Error("RELAY_SECRET: each secret must be at least 32 characters.");
  return all;
}

function tls(env) {
  const cert = env.RELAY_TLS_CERT_FILE;
  const key = env.RELAY_TLS_KEY_FILE;
  if (!cert && !key) return null;
  if (!cert || !key) throw new Error("RELAY_TLS_CERT_FILE and RELAY_TLS_KEY_FILE go together.");
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

/** The configuration object createRelay() takes. `now` and `log` are replaceable in tests. */
export function loadConfig(env = process.env) {
  const tlsOptions = tls(env);
  return {
    secrets: secrets(env.RELAY_SECRET),
    tls: tlsOptions,
    listenHost: env.RELAY_LISTEN_HOST || "0.0.0.0",
    listenPort: integer(env, "RELAY_PORT", tlsOptions ? 8443 : 8080, 0),
    allowedPorts: ports(env.RELAY_ALLOWED_PORTS),
    allowPrivate: env.RELAY_ALLOW_PRIVATE_DESTINATIONS === "true",
    hosts: hostsMap(env.RELAY_HOSTS),
    replayWindowSeconds: integer(env, "RELAY_REPLAY_WINDOW_SECONDS", 300),
    defaultTimeoutMs: integer(env, "RELAY_DEFAULT_TIMEOUT_MS", 15_000),
    maxTimeoutMs: integer(env, "RELAY_MAX_TIMEOUT_MS", 30_000),
    maxRequestBytes: integer(env, "RELAY_MAX_REQUEST_BYTES", 1_048_576),
    maxResponseBytes: integer(env, "RELAY_MAX_RESPONSE_BYTES", 65_536),
    startedAt: Math.floor(Date.now() / 1000),
    now: () => Date.now(),
    log: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
  };
}
