// The program as an operator runs it (`node main.mjs`, as the Dockerfile does): configured by
// its environment, logging JSON lines, refusing to start on a bad configuration.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { loadConfig } from "../src/config.mjs";
import { SECRET } from "./helpers.mjs";

const MAIN = fileURLToPath(new URL("../main.mjs", import.meta.url));
const children = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

function run(env) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env } });
  children.push(child);
  return child;
}

/** The first JSON line the child prints. */
async function firstLine(child) {
  let text = "";
  for await (const chunk of child.stdout) {
    text += chunk;
    if (text.includes("\n")) return JSON.parse(text.slice(0, text.indexOf("\n")));
  }
  throw new Error("no output");
}

it("starts from its environment and answers /health", async () => {
  const child = run({ RELAY_SECRET: SECRET, RELAY_PORT: "0", RELAY_LISTEN_HOST: "127.0.0.1" });
  const line = await firstLine(child);
  expect(line).toMatchObject({
    event: "listening",
    tls: false,
    allowPrivate: false,
    allowedPorts: [80, 443],
  });
  const res = await fetch(`http://127.0.0.1:${line.port}/health`);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("refuses to start without a secret", async () => {
  const child = run({ RELAY_PORT: "0" });
  const [code] = await once(child, "exit");
  expect(code).not.toBe(0);
});

it("reads the test switches and limits, off and default unless set", () => {
  const base = loadConfig({ RELAY_SECRET: SECRET });
  expect(base).toMatchObject({
    allowPrivate: false,
    allowedPorts: [],
    listenPort: 8080,
    maxResponseBytes: 65_536,
  });
  expect(base.hosts.size).toBe(0);
  const set = loadConfig({
    RELAY_SECRET: `${SECRET},${SECRET}-next`,
    RELAY_ALLOW_PRIVATE_DESTINATIONS: "true",
    RELAY_ALLOWED_PORTS: "8443, 9000",
    RELAY_HOSTS: "Receiver.Test=127.0.0.1,v6.test=::1",
  });
  expect(set.secrets).toHaveLength(2);
  expect(set.allowPrivate).toBe(true);
  expect(set.allowedPorts).toEqual([8443, 9000]);
  expect(set.hosts.get("receiver.test")).toBe("127.0.0.1");
});

it.each([
  [{ RELAY_SECRET: "short" }, /at least 32/],
  [{ RELAY_SECRET: SECRET, RELAY_HOSTS: "a=not-an-ip" }, /RELAY_HOSTS/],
  [{ RELAY_SECRET: SECRET, RELAY_ALLOWED_PORTS: "70000" }, /not a port/],
  [{ RELAY_SECRET: SECRET, RELAY_TLS_CERT_FILE: "/x.pem" }, /go together/],
])("refuses a bad configuration %#", (env, message) => {
  expect(() => loadConfig(env)).toThrow(message);
});
