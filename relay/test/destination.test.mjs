// What the relay refuses to send to, judged after resolution: private, loopback, link-local,
// metadata, CGNAT, reserved and multicast addresses (v4 and v6, including v4-mapped), ports
// outside 80/443 and the allowance, and redirects (returned, never followed).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blockedAddress } from "../src/address.mjs";
import { hostsMap } from "../src/config.mjs";
import { relay, startReceiver, startRelay } from "./helpers.mjs";

describe("blockedAddress", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::10.0.0.1",
    "fd00::1",
    "fe80::1",
    "ff02::1",
    "2001:db8::1",
    "fe80::1%eth0",
  ])("refuses %s", (address) => {
    expect(blockedAddress(address)).not.toBeNull();
  });

  it.each(["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("admits %s", (address) => {
    expect(blockedAddress(address)).toBeNull();
  });
});

describe("destinations through the relay", () => {
  let receiver;
  let relayServer;

  beforeEach(async () => {
    receiver = await startReceiver((req, res) => {
      if (req.url === "/redirect") {
        res.writeHead(302, { location: "/final" });
        res.end("moved");
        return;
      }
      res.writeHead(200);
      res.end("ok");
    });
    relayServer = await startRelay({
      allowedPorts: [receiver.port],
      hosts: hostsMap("rebind.example.com=127.0.0.1,mapped.example.com=::ffff:127.0.0.1"),
    });
  });

  afterEach(async () => {
    await relayServer.close();
    await receiver.close();
  });

  it("refuses a host name that resolves to 127.0.0.1 when private destinations are not allowed", async () => {
    const { status, json } = await relay(relayServer.url, {
      url: `http://rebind.example.com:${receiver.port}/`,
      body: "{}",
    });
    expect(status).toBe(422);
    expect(json.code).toBe("destination_blocked");
    expect(json.detail).toContain("loopback");
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a name resolving to a v4-mapped loopback and a literal loopback", async () => {
    for (const url of [`http://mapped.example.com:${receiver.port}/`, `http://127.0.0.1:${receiver.port}/`]) {
      const { status, json } = await relay(relayServer.url, { url, body: "{}" });
      expect(status).toBe(422);
      expect(json.code).toBe("destination_blocked");
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it("refuses a port outside 80, 443 and the allowance", async () => {
    const { status, json } = await relay(relayServer.url, {
      url: "http://rebind.example.com:8081/",
      body: "{}",
    });
    expect(status).toBe(422);
    expect(json.code).toBe("port_not_allowed");
  });

  it("refuses a scheme other than http and https", async () => {
    const { status, json } = await relay(relayServer.url, { url: "ftp://rebind.example.com/", body: "{}" });
    expect(status).toBe(422);
    expect(json.code).toBe("invalid_target");
  });

  it("returns a redirect as is, without following it", async () => {
    const open = await startRelay({ allowPrivate: true, allowedPorts: [receiver.port] });
    try {
      const { status, json } = await relay(open.url, {
        url: `http://127.0.0.1:${receiver.port}/redirect`,
        body: "{}",
      });
      expect(status).toBe(200);
      expect(json.status).toBe(302);
      expect(json.headers.location).toBe("/final");
      expect(receiver.requests.map((r) => r.url)).toEqual(["/redirect"]);
    } finally {
      await open.close();
    }
  });
});
