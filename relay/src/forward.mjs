// Sending the delivery to its receiver: to the address destination.mjs checked (the `lookup`
// option answers with it, so no second resolution happens), with the URL's host name kept as
// the Host header, the TLS server name and the name the certificate is checked against. No
// redirect is followed (node:http follows none); the body read stops at the size cap.

import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { RelayError } from "./destination.mjs";

// Hop-by-hop and framing headers are the relay's to set, not the worker's to pass on.
const DROPPED_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "proxy-authorization",
  "proxy-connection",
]);

/** A `lookup` for net.connect that answers with the checked address only, whatever it is asked. */
function pinnedLookup(address) {
  const family = isIP(address);
  return (_name, options, callback) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function outgoingHeaders(headers, body) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!DROPPED_HEADERS.has(name.toLowerCase())) out[name] = value;
  }
  out["content-length"] = String(Buffer.byteLength(body));
  return out;
}

/** Response headers as one string per name (repeated ones joined with ", ", as fetch does). */
function flatHeaders(raw) {
  const out = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * Reads at most `cap` bytes of the body, then stops reading and closes the connection. A body
 * that ends early (the connection closed before its end) is an error.
 */
function readCapped(res, cap) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (truncated) => {
      done = true;
      resolve({ body: Buffer.concat(chunks), truncated });
    };
    res.on("data", (chunk) => {
      if (done) return;
      const room = cap - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        finish(true);
        res.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on("end", () => finish(false));
    res.on("error", (err) => done || reject(err));
    res.on("close", () => done || reject(new Error("the response ended early")));
  });
}

function connectionError(err) {
  if (err instanceof RelayError) return err;
  const code = err.code ?? "";
  if (code.startsWith("ERR_TLS") || code.includes("CERT") || /SSL|TLS/.test(code)) {
    return new RelayError(502, "tls_failed", `TLS with the receiver failed (${code}).`);
  }
  return new RelayError(502, "connect_failed", `The receiver could not be reached (${code || err.message}).`);
}

/**
 * Sends the delivery; resolves with the receiver's answer, rejects with a RelayError. The
 * caller's AbortSignal (the timeout) ends the request wherever it is.
 */
export function forward({ target, address, method, headers, body, maxResponseBytes, signal, ca }) {
  const { url, port, hostname } = target;
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request({
      protocol: url.protocol,
      host: hostname,
      port,
      path: `${url.pathname}${url.search}`,
      method,
      headers: { ...outgoingHeaders(headers, body), host: url.host },
      lookup: pinnedLookup(address),
      // SNI carries a name, never an address literal.
      servername: isIP(hostname) ? undefined : hostname,
      agent: false,
      // Extra roots for tests; operators use NODE_EXTRA_CA_CERTS (README.md).
      ...(ca ? { ca: [...rootCertificates, ca] } : {}),
      signal,
    });
    let responded = false;
    // Once the response has begun, its own stream reports failures (readCapped); destroying it
    // at the size cap must not turn into a request error.
    req.on("error", (err) => responded || reject(signal.aborted ? signal.reason : connectionError(err)));
    req.on("response", (res) => {
      responded = true;
      readCapped(res, maxResponseBytes).then(
        ({ body: data, truncated }) =>
          resolve({ status: res.statusCode, headers: flatHeaders(res.headers), body: data, truncated }),
        (err) => reject(signal.aborted ? signal.reason : connectionError(err)),
      );
    });
    req.end(body);
  });
}
