import { describe, expect, it } from "vitest";
import { getConfig, parseMtlsCertificates, parsePorts } from "../../src/config";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("ALLOWED_DESTINATION_PORTS", () => {
  it("parses comma-separated ports and defaults to none", () => {
    expect(parsePorts(undefined)).toEqual([]);
    expect(parsePorts(" ")).toEqual([]);
    expect(parsePorts("8443, 9000")).toEqual([8443, 9000]);
    expect(getConfig(env({ ALLOWED_DESTINATION_PORTS: "8443" })).allowedDestinationPorts).toEqual([8443]);
  });

  it("fails loudly on anything that is not a port", () => {
    for (const value of ["0", "65536", "80.5", "http", "8443,", "-1"]) {
      expect(() => parsePorts(value), value).toThrow(/ALLOWED_DESTINATION_PORTS/);
    }
  });
});

describe("DEAD_LETTER_QUEUE", () => {
  it("names the dead-letter queue, by default edgehook-deliveries-dlq", () => {
    expect(getConfig(env({})).deadLetterQueue).toBe("edgehook-deliveries-dlq");
    expect(getConfig(env({ DEAD_LETTER_QUEUE: "staging-dlq" })).deadLetterQueue).toBe("staging-dlq");
  });
});

describe("MTLS_CERTIFICATES", () => {
  it("lists declared binding names, none by default", () => {
    expect(parseMtlsCertificates(undefined)).toEqual([]);
    expect(parseMtlsCertificates(" ")).toEqual([]);
    expect(parseMtlsCertificates("MTLS_ACME, mtls_b,MTLS_ACME")).toEqual(["MTLS_ACME", "mtls_b"]);
    expect(getConfig(env({ MTLS_CERTIFICATES: "MTLS_ACME" })).mtlsCertificates).toEqual(["MTLS_ACME"]);
  });

  it("fails loudly on anything that is not a binding name", () => {
    for (const value of ["MTLS_ACME,", "1CERT", "a-b", "A B", "x".repeat(65)]) {
      expect(() => parseMtlsCertificates(value), value).toThrow(/MTLS_CERTIFICATES/);
    }
  });
});
