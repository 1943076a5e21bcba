import type { RelayConfig } from "../config";
import type { EndpointRow } from "../db/endpoints";
import type { AppThrottle } from "../log/protocol";
import { base64Encode } from "../security/secrets";
import { parseRetryAfter } from "./retry";
import { MAX_RESPONSE_CHARS, type SendResult } from "./send";

// The worker side of the egress relay (relay/README.md, "Protocol"): the delivery is signed
// and POSTed to the first relay; a relay that is down for it (unreachable, 5xx without a code,
// overloaded, a refusal another relay may not share) hands it to the next. The receiver's
// answer, or a refusal that is the destination's fault, is the attempt, as for a direct send.

export const DELIVER_PATH = "/v1/deliver";
/** A relay's answer may come this long after the delivery's own timeout (its DNS, its queueing). */
export const RELAY_MARGIN_MS = 2_000;

/** Refusals every relay would repeat: the attempt fails, no failover (README failover table). */
const FINAL_CODES = new Set([
  "bad_request",
  "request_too_large",
  "invalid_target",
  "port_not_allowed",
  "destination_blocked",
  "dns_failed",
  "connect_failed",
  "tls_failed",
  "timeout",
]);

/** Whether this endpoint's deliveries go through the relays: in opt-in mode, the endpoint's or its application's. */
export function usesRelay(
  config: RelayConfig,
  endpoint: EndpointRow,
  app: Pick<AppThrottle, "egress_relay">,
): boolean {
  if (config.mode === "all") return true;
  return config.mode === "opt-in" && (endpoint.egress_relay === 1 || app.egress_relay === 1);
}

const encoder = new TextEncoder();
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

/** `v1=` + base64 HMAC-SHA256 of the seven-line signed string, keyed by the secret's UTF-8 bytes. */
export async function relaySignature(
  secret: string,
  r: { id: string; timestamp: string; target: string; body: string },
): Promise<string> {
  const bodyHash = hex(await crypto.subtle.digest("SHA-256", encoder.encode(r.body)));
  const signed = ["edgehook-relay-v1", "POST", DELIVER_PATH, r.id, r.timestamp, r.target, bodyHash].join(
    "\n",
  );
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `v1=${base64Encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(signed))))}`;
}

interface Delivery {
  url: string;
  body: string;
  headers: Headers;
  timeoutMs: number;
}

/** What one relay made of the delivery: the attempt's result, or why to try the next relay. */
type Try = { done: SendResult } | { next: string };

interface RelayAnswer {
  status?: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
  code?: unknown;
  detail?: unknown;
}

async function post(base: string, secret: string, d: Delivery, deadline: number): Promise<Response> {
  const body = JSON.stringify({
    url: d.url,
    method: "POST",
    headers: Object.fromEntries(d.headers),
    body: d.body,
    // A later relay gets what is left of the budget, so that its answer still comes in time.
    timeoutMs: Math.max(1_000, Math.min(d.timeoutMs, deadline - Date.now() - RELAY_MARGIN_MS)),
  });
  const id = crypto.randomUUID();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = await relaySignature(secret, { id, timestamp, target: d.url, body });
  return fetch(`${base}${DELIVER_PATH}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-relay-id": id,
      "x-relay-timestamp": timestamp,
      "x-relay-target": d.url,
      "x-relay-signature": signature,
    },
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
  });
}

/** A failed attempt without a receiver's answer (retried on the schedule, like a network error). */
const failed = (body: string, started: number): SendResult => ({
  status: null,
  body: body.slice(0, MAX_RESPONSE_CHARS),
  durationMs: Date.now() - started,
  retryAfterSeconds: null,
});

/** Reads one relay's answer into the attempt's result, or into a reason to fail over. */
function interpret(res: Response, answer: RelayAnswer | null, host: string, started: number): Try {
  if (res.status === 200 && answer && typeof answer.status === "number") {
    const retryAfter = answer.headers?.["retry-after"];
    return {
      done: {
        status: answer.status,
        body: typeof answer.body === "string" ? answer.body.slice(0, MAX_RESPONSE_CHARS) : "",
        durationMs: Date.now() - started,
        retryAfterSeconds: parseRetryAfter(typeof retryAfter === "string" ? retryAfter : null, Date.now()),
      },
    };
  }
  const code = typeof answer?.code === "string" ? answer.code : null;
  if (code && FINAL_CODES.has(code)) {
    const detail = typeof answer?.detail === "string" ? answer.detail : "";
    return { done: failed(`egress relay ${host} refused: ${code}: ${detail}`, started) };
  }
  return { next: `${host} answered ${res.status}${code ? ` ${code}` : ""}` };
}

async function tryRelay(
  base: string,
  secret: string,
  d: Delivery,
  deadline: number,
  started: number,
): Promise<Try> {
  const host = new URL(base).host;
  let res: Response;
  try {
    res = await post(base, secret, d, deadline);
  } catch (err) {
    return { next: `${host}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const answer = (await res.json().catch(() => null)) as RelayAnswer | null;
  return interpret(res, answer, host, started);
}

/**
 * Sends one attempt through the relays in order. Never throws. All relays share one budget,
 * the delivery's timeout plus RELAY_MARGIN_MS (the lease covers that much per send): a relay
 * that refuses or fails at once costs little, one that hangs costs the attempt, retried later.
 */
export async function sendViaRelays(config: RelayConfig, d: Delivery): Promise<SendResult> {
  const started = Date.now();
  const deadline = started + d.timeoutMs + RELAY_MARGIN_MS;
  const reasons: string[] = [];
  for (const base of config.relays) {
    if (Date.now() >= deadline) break;
    const result = await tryRelay(base, config.secret ?? "", d, deadline, started);
    if ("done" in result) return result.done;
    // The operator's alert: a relay down or misconfigured (the reason names no target or payload).
    console.warn("egress relay failed over", result.next);
    reasons.push(result.next);
  }
  const why = reasons.length ? reasons.join("; ") : "no time left";
  return failed(`egress relays unavailable: ${why}`, started);
}
