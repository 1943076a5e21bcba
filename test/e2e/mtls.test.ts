// mTLS client certificates under the real worker (wrangler dev). The receiver is https on a
// test CA generated here with openssl and demands a client certificate from it. The real
// [[mtls_certificates]] binding is remote-only, so the endpoint's certificate binding is
// stood in: a service binding to a tiny worker that hands the request to a Node fetcher
// presenting the test client certificate. Another endpoint, without a certificate, goes
// through the plain fetch and is refused in the TLS handshake.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createState, type Gateway, type GatewayState, launchGateway } from "./harness";

const ROOT = new URL("../..", import.meta.url).pathname;
let dir: string;
let state: GatewayState;
let gateway: Gateway;
let receiver: Server;
let presenter: Server;
let gatewayConfig: string;
let receiverPort: number;
/** Requests the receiver accepted, with the common name of the client certificate. */
const accepted: { path: string; clientCn: string; signature: string }[] = [];
/** Handshakes the receiver refused. */
const refused: string[] = [];

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A key and a certificate signed by the test CA, with `ext` (subjectAltName, usage). */
function issue(name: string, cn: string, ext: string): void {
  writeFileSync(join(dir, `${name}.cnf`), ext);
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${cn}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  );
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${name}.cnf`,
    "-out",
    `${name}.pem`,
  );
}

const read = (f: string) => readFileSync(join(dir, f));
const listen = (server: Server) =>
  new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));

/** The stand-in certificate binding's Node side: sends to x-mtls-target presenting the client certificate. */
function startPresenter(): Server {
  return createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-mtls-target"]);
      const headers = { ...req.headers };
      delete headers["x-mtls-target"];
      delete headers.host;
      const out = httpsRequest(
        target,
        {
          method: req.method,
          headers,
          key: read("client.key"),
          cert: read("client.pem"),
          ca: read("ca.pem"),
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", (err) => {
        res.writeHead(502);
        res.end(`presenter: ${err.message}`);
      });
      out.end(Buffer.concat(chunks));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "edgehook-mtls-"));
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=Test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  issue("srv", "127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
  issue("client", "edgehook-test-client", "extendedKeyUsage=clientAuth\n");

  receiver = createHttpsServer(
    {
      key: read("srv.key"),
      cert: read("srv.pem"),
      ca: read("ca.pem"),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      accepted.push({
        path: req.url ?? "",
        clientCn: String(peer.subject?.CN ?? ""),
        signature: String(req.headers["webhook-signature"] ?? ""),
      });
      req.resume();
      res.end("ok");
    },
  );
  receiver.on("tlsClientError", (err) => refused.push(err.message));
  receiverPort = await listen(receiver);
  presenter = startPresenter();
  const presenterPort = await listen(presenter);

  // The stand-in binding: a worker run by the same wrangler dev, bound to the gateway as MTLS_TEST.
  writeFileSync(
    join(dir, "stand-in.mjs"),
    `export default { async fetch(req, env) {
      const headers = new Headers(req.headers);
      headers.set("x-mtls-target", req.url);
      return fetch(env.PRESENTER, { method: req.method, headers, body: await req.arrayBuffer() });
    } };\n`,
  );
  writeFileSync(
    join(dir, "stand-in.toml"),
    `name = "mtls-stand-in"\nmain = "stand-in.mjs"\ncompatibility_date = "2026-11-01"\n[vars]\nPRESENTER = "http://127.0.0.1:${presenterPort}"\n`,
  );
  // The gateway's own config plus the binding; next to wrangler.toml so its relative paths hold.
  gatewayConfig = join(ROOT, `.e2e-mtls-${process.pid}.wrangler.toml`);
  writeFileSync(
    gatewayConfig,
    `${readFileSync(join(ROOT, "wrangler.toml"), "utf8")}\n[[services]]\nbinding = "MTLS_TEST"\nservice = "mtls-stand-in"\n`,
  );
  // workerd trusts the test CA, so the plain delivery is refused for its missing certificate.
  process.env.NODE_EXTRA_CA_CERTS = join(dir, "ca.pem");
  state = await createState({ MTLS_CERTIFICATES: "MTLS_TEST" });
  gateway = await launchGateway(state, { configs: [gatewayConfig, join(dir, "stand-in.toml")] });
});

afterAll(async () => {
  await gateway?.stop();
  state?.remove();
  receiver?.close();
  presenter?.close();
  if (gatewayConfig) rmSync(gatewayConfig, { force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
  delete process.env.NODE_EXTRA_CA_CERTS;
});

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await gateway.api(method, path, body);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 30 s\n${gateway.log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("mTLS client certificates", () => {
  it("the endpoint naming the certificate is accepted by a receiver that demands one; the other is refused", async () => {
    const base = `https://127.0.0.1:${receiverPort}`;
    const app = await call<{ id: string }>("POST", "/api/v1/app", { name: "mtls" });
    const withCert = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: `${base}/cert`,
      mtlsCertificate: "MTLS_TEST",
    });
    const plain = await call<{ id: string }>("POST", `/api/v1/app/${app.id}/endpoint`, {
      url: `${base}/plain`,
    });
    await call("POST", `/api/v1/app/${app.id}/msg`, { eventType: "mtls.test", payload: { n: 1 } });

    await waitUntil("the certificate's delivery", () => accepted.some((r) => r.path === "/cert"));
    expect(accepted[0]).toMatchObject({ path: "/cert", clientCn: "edgehook-test-client" });
    expect(accepted[0]?.signature).toMatch(/^v1,/);

    type Attempts = { data: { responseStatusCode: number; response: string }[] };
    const attemptsOf = (ep: string) => call<Attempts>("GET", `/api/v1/app/${app.id}/attempt/endpoint/${ep}`);
    await waitUntil(
      "the plain delivery's failed attempt",
      async () => (await attemptsOf(plain.id)).data.length > 0,
    );
    expect((await attemptsOf(plain.id)).data[0]?.responseStatusCode).toBe(0);
    expect(accepted.filter((r) => r.path === "/plain")).toHaveLength(0);
    expect(refused.some((m) => m.includes("peer did not return a certificate"))).toBe(true);
    expect((await attemptsOf(withCert.id)).data[0]?.responseStatusCode).toBe(200);
  });
});
