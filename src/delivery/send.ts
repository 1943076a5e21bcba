import type { DeliveryFetch } from "./mtls";
import { parseRetryAfter } from "./retry";

// One HTTP attempt. Never throws: the consumer branches on the returned value.
export interface SendResult {
  /** The HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  /** The response body (truncated), or the error description when there was no response. */
  body: string;
  durationMs: number;
  /** Retry-After in seconds from now, when the response carried a valid one. */
  retryAfterSeconds: number | null;
}

/** Attempt logs keep at most this much of a receiver's answer. */
export const MAX_RESPONSE_CHARS = 4096;

async function readTruncated(res: Response, maxChars: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < maxChars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // Stop downloading the rest of a large body; we will not look at it.
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, maxChars);
}

export async function sendWebhook(opts: {
  url: string;
  body: string;
  headers: Headers;
  timeoutMs: number;
  /** An mTLS certificate binding's fetch (src/delivery/mtls.ts); the global fetch by default. */
  fetch?: DeliveryFetch;
}): Promise<SendResult> {
  const started = Date.now();
  const send = opts.fetch ?? fetch;
  try {
    const res = await send(opts.url, {
      method: "POST",
      headers: opts.headers,
      body: opts.body,
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const body = await readTruncated(res, MAX_RESPONSE_CHARS).catch(() => "");
    return {
      status: res.status,
      body,
      durationMs: Date.now() - started,
      retryAfterSeconds: parseRetryAfter(res.headers.get("retry-after"), Date.now()),
    };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      status: null,
      body: timedOut
        ? `timeout: no response within ${opts.timeoutMs} ms`
        : `network error: ${err instanceof Error ? err.message : String(err)}`,
      durationMs: Date.now() - started,
      retryAfterSeconds: null,
    };
  }
}
