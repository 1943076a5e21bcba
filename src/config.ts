// Typed view of the Worker's vars, parsed once per env object (the env object lives as long
// as the isolate, so this is not redone per request).
export interface Config {
  allowPrivateDestinations: boolean;
  /** Ports endpoints may use besides 80 and 443 (ALLOWED_DESTINATION_PORTS). */
  allowedDestinationPorts: number[];
  /** The queue whose batches are dead letters (DEAD_LETTER_QUEUE): wrangler.toml's dead_letter_queue. */
  deadLetterQueue: string;
  retryScheduleSeconds: number[];
  deliveryTimeoutMs: number;
  maxPayloadBytes: number;
  disableAfterMs: number;
  operationalWebhookUrl: string | null;
  /** Log shards per application (LOG_SHARDS): may be raised, never lowered (ids name their shard). */
  logShards: number;
  /** The log object's outbox re-enqueues a lost delivery within this time (OUTBOX_RECOVERY_SECONDS). */
  outboxRecoveryMs: number;
  /** Messages, keys and attempts are deleted this long after their message (LOG_RETENTION_DAYS). */
  logRetentionMs: number;
  /** The relays' published addresses (EGRESS_IPS), served at GET /api/v1/egress-ips. */
  egress: EgressIps;
  /** Which deliveries go through the egress relays, and how (EGRESS_RELAY_*). */
  relay: RelayConfig;
  /** mTLS certificate bindings endpoints may name (MTLS_CERTIFICATES; src/delivery/mtls.ts). */
  mtlsCertificates: string[];
  /** Who may frame the /portal page (PORTAL_FRAME_ANCESTORS): the CSP frame-ancestors sources. */
  portalFrameAncestors: string[];
}

/** off: none; all: every delivery; opt-in: deliveries to endpoints whose own or application's egressRelay is set. */
export type RelayMode = "off" | "all" | "opt-in";

export interface RelayConfig {
  mode: RelayMode;
  /** Base URLs of the relays, in failover order (EGRESS_RELAYS). */
  relays: string[];
  /** The HMAC secret shared with the relays (EGRESS_RELAY_SECRET), or null. */
  secret: string | null;
}

/** EGRESS_RELAY_SECRET is a secret: set with `wrangler secret put`, so not in wrangler.toml's vars. */
type RelayEnv = Env & { EGRESS_RELAY_SECRET?: string };

/** Relay addresses per region and when the operator last changed them (null: never listed). */
export interface EgressIps {
  regions: Record<string, string[]>;
  updatedAt: string | null;
}

/** Shards are named by two base62 characters in message ids (src/lib/ids.ts). */
const MAX_LOG_SHARDS = 3844;
const DEFAULT_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];
const DEFAULT_DEAD_LETTER_QUEUE = "edgehook-deliveries-dlq";
const cache = new WeakMap<object, Config>();

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

export function parseRetrySchedule(value: string | undefined): number[] {
  if (!value?.trim()) return DEFAULT_SCHEDULE;
  const steps = value.split(",").map((s) => Number(s.trim()));
  if (steps.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new Error(`RETRY_SCHEDULE must be comma-separated non-negative seconds, got "${value}"`);
  }
  return steps;
}

/** ALLOWED_DESTINATION_PORTS: comma-separated ports from 1 to 65535; a typo fails loudly. */
export function parsePorts(value: string | undefined): number[] {
  if (!value?.trim()) return [];
  const ports = value.split(",").map((s) => Number(s.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new Error(`ALLOWED_DESTINATION_PORTS must be comma-separated ports (1-65535), got "${value}"`);
  }
  return ports;
}

const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * MTLS_CERTIFICATES: comma-separated names of wrangler.toml's [[mtls_certificates]] bindings.
 * The worker cannot list its bindings by type, so this is the set endpoints may name; a typo
 * fails loudly rather than letting an endpoint name a variable that is not a certificate.
 */
export function parseMtlsCertificates(value: string | undefined): string[] {
  if (!value?.trim()) return [];
  const names = value.split(",").map((s) => s.trim());
  const bad = names.find((n) => !BINDING_NAME.test(n));
  if (bad !== undefined) {
    throw new Error(`MTLS_CERTIFICATES must be comma-separated binding names, got "${value}"`);
  }
  return [...new Set(names)];
}

/** An origin with no path: https://host[:port], or http:// for local development on localhost. */
const FRAME_ORIGIN = /^(https:\/\/[a-z0-9.-]+|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/i;

/**
 * PORTAL_FRAME_ANCESTORS: space-separated origins allowed to frame /portal (the SaaS dashboard
 * that embeds it with svix-react's AppPortal), or 'self' / 'none'. No wildcard, no path, no
 * 'unsafe-' keyword: a typo fails loudly rather than letting any site frame the page.
 */
export function parseFrameAncestors(value: string | undefined): string[] {
  const sources = (value ?? "").split(/\s+/).filter(Boolean);
  if (sources.length === 0) return ["'self'"];
  for (const source of sources) {
    const keyword = source === "'self'" || source === "'none'";
    if (!keyword && !FRAME_ORIGIN.test(source)) {
      throw new Error(
        `PORTAL_FRAME_ANCESTORS must be space-separated origins (https://host[:port]) or 'self', got "${source}"`,
      );
    }
  }
  if (sources.includes("'none'") && sources.length > 1) {
    throw new Error("PORTAL_FRAME_ANCESTORS: 'none' cannot be combined with other sources");
  }
  return [...new Set(sources.map((s) => (s.startsWith("'") ? s : s.toLowerCase())))];
}

const REGION = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** An IPv4 or IPv6 literal in the URL parser's canonical form, or null (host names are not addresses). */
function ipLiteral(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const v6 = value.includes(":");
  if (!v6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return null;
  try {
    const host = new URL(`http://${v6 ? `[${value}]` : value}/`).hostname;
    if (v6) return host.slice(1, -1);
    return host === value ? host : null;
  } catch {
    return null;
  }
}

function egressError(detail: string): Error {
  return new Error(
    `EGRESS_IPS must be JSON {"updatedAt":"<ISO date>","regions":{"<region>":["<ip>",...]}}: ${detail}`,
  );
}

function egressRegions(value: unknown): Record<string, string[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw egressError("regions is not an object");
  const regions: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(value)) {
    if (!REGION.test(name))
      throw egressError(`region "${name}" is not lower-case letters, digits and dashes`);
    if (!Array.isArray(list)) throw egressError(`region "${name}" is not a list`);
    regions[name] = list.map((ip) => {
      const canonical = ipLiteral(ip);
      if (canonical === null) throw egressError(`"${String(ip)}" in region "${name}" is not an IP address`);
      return canonical;
    });
  }
  return regions;
}

/**
 * EGRESS_IPS: the relays' addresses per region, as JSON; empty means none. A list needs its
 * updatedAt (firewalls that poll it compare dates), and a typo fails loudly, never publishing
 * a wrong list.
 */
export function parseEgressIps(value: string | undefined): EgressIps {
  if (!value?.trim()) return { regions: {}, updatedAt: null };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw egressError("not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw egressError("not an object");
  const { regions, updatedAt, ...rest } = json as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw egressError(`unknown field "${extra[0]}"`);
  const parsed = egressRegions(regions ?? {});
  const listed = Object.values(parsed).some((ips) => ips.length > 0);
  if (updatedAt === undefined && !listed) return { regions: parsed, updatedAt: null };
  const time = typeof updatedAt === "string" ? Date.parse(updatedAt) : Number.NaN;
  if (!Number.isFinite(time)) throw egressError("updatedAt is missing or not an ISO 8601 date");
  return { regions: parsed, updatedAt: new Date(time).toISOString() };
}

/** A relay base URL: https (http only with private destinations allowed, for local tests), no path. */
function relayBase(value: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`EGRESS_RELAYS must be comma-separated https base URLs, got "${value}"`);
  }
  const schemeOk = url.protocol === "https:" || (allowHttp && url.protocol === "http:");
  if (!schemeOk || url.username || url.password || url.search || url.hash) {
    throw new Error(`EGRESS_RELAYS must be comma-separated https base URLs, got "${value}"`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * EGRESS_RELAY_MODE, EGRESS_RELAYS and EGRESS_RELAY_SECRET. A mode other than off without
 * relays or secret fails loudly: deliveries must not silently leave from Cloudflare's ranges.
 */
export function parseRelayConfig(env: RelayEnv, allowHttp: boolean): RelayConfig {
  const raw = env.EGRESS_RELAY_MODE?.trim() || "off";
  if (raw !== "off" && raw !== "all" && raw !== "opt-in") {
    throw new Error(`EGRESS_RELAY_MODE must be off, all or opt-in, got "${raw}"`);
  }
  const list = env.EGRESS_RELAYS?.trim() ?? "";
  const relays = list ? list.split(",").map((r) => relayBase(r.trim(), allowHttp)) : [];
  const secret = env.EGRESS_RELAY_SECRET?.trim() || null;
  if (raw !== "off" && (relays.length === 0 || !secret)) {
    throw new Error(`EGRESS_RELAY_MODE=${raw} needs EGRESS_RELAYS and the EGRESS_RELAY_SECRET secret`);
  }
  return { mode: raw, relays, secret };
}

// ENDPOINT_FAILURE_DISABLE_AFTER_SECONDS, when set, overrides the hours: a window of seconds
// is what tests and local trials of auto-disable need.
function disableAfterMs(env: Env): number {
  const seconds = positiveInt(env.ENDPOINT_FAILURE_DISABLE_AFTER_SECONDS, 0);
  if (seconds > 0) return seconds * 1000;
  return positiveInt(env.ENDPOINT_FAILURE_DISABLE_AFTER_HOURS, 120) * 3_600_000;
}

export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = {
      allowPrivateDestinations: env.ALLOW_PRIVATE_DESTINATIONS === "true",
      allowedDestinationPorts: parsePorts(env.ALLOWED_DESTINATION_PORTS),
      deadLetterQueue: env.DEAD_LETTER_QUEUE?.trim() || DEFAULT_DEAD_LETTER_QUEUE,
      retryScheduleSeconds: parseRetrySchedule(env.RETRY_SCHEDULE),
      deliveryTimeoutMs: positiveInt(env.DELIVERY_TIMEOUT_MS, 15_000),
      maxPayloadBytes: positiveInt(env.MAX_PAYLOAD_BYTES, 256 * 1024),
      disableAfterMs: disableAfterMs(env),
      operationalWebhookUrl: env.OPERATIONAL_WEBHOOK_URL?.trim() || null,
      logShards: Math.min(positiveInt(env.LOG_SHARDS, 1), MAX_LOG_SHARDS),
      outboxRecoveryMs: positiveInt(env.OUTBOX_RECOVERY_SECONDS, 60) * 1000,
      logRetentionMs: positiveInt(env.LOG_RETENTION_DAYS, 90) * 86_400_000,
      egress: parseEgressIps(env.EGRESS_IPS),
      relay: parseRelayConfig(env, env.ALLOW_PRIVATE_DESTINATIONS === "true"),
      mtlsCertificates: parseMtlsCertificates(env.MTLS_CERTIFICATES),
      portalFrameAncestors: parseFrameAncestors(env.PORTAL_FRAME_ANCESTORS),
    };
    cache.set(env, config);
  }
  return config;
}
