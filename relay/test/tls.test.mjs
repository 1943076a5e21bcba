// An https receiver reached through the relay: the connection goes to the checked address
// while TLS is done with the URL's name (SNI and certificate check), so a certificate for
// another name is refused. The test CA is generated here with the openssl command.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { hostsMap } from "../src/config.mjs";
import { relay, startRelay } from "./helpers.mjs";

let dir;
let receiver;
let port;
let relayServer;
let sni;

function openssl(...args) {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "relay-tls-"));
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
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:secure.example.com\n");
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=secure.example.com",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "srv.pem",
  );
  const read = (f) => readFileSync(join(dir, f));
  receiver = createServer({ key: read("srv.key"), cert: read("srv.pem") }, (req, res) => {
    sni = req.socket.servername;
    res.writeHead(200);
    res.end("secure");
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = receiver.address().port;
  relayServer = await startRelay({
    allowPrivate: true,
    allowedPorts: [port],
    ca: read("ca.pem"),
    hosts: hostsMap("secure.example.com=127.0.0.1,other.example.com=127.0.0.1"),
  });
});

afterAll(async () => {
  await relayServer?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

it("delivers over TLS to the checked address with the URL's name as SNI", async () => {
  const { status, json } = await relay(relayServer.url, {
    url: `https://secure.example.com:${port}/`,
    body: "{}",
  });
  expect(status).toBe(200);
  expect(json).toMatchObject({ status: 200, body: "secure" });
  expect(sni).toBe("secure.example.com");
});

it("refuses a certificate that does not name the target", async () => {
  const { status, json } = await relay(relayServer.url, {
    url: `https://other.example.com:${port}/`,
    body: "{}",
  });
  expect(status).toBe(502);
  expect(json.code).toBe("tls_failed");
});

it("terminates TLS itself when given a certificate and key", async () => {
  const read = (f) => readFileSync(join(dir, f));
  const tlsRelay = await startRelay({ tls: { key: read("srv.key"), cert: read("srv.pem") } });
  try {
    const { port: relayPort } = new URL(tlsRelay.url);
    const body = await new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: relayPort,
          path: "/health",
          servername: "secure.example.com",
          ca: read("ca.pem"),
        },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ status: "ok" });
  } finally {
    await tlsRelay.close();
  }
});
