import { describe, expect, it } from "vitest";
import { portalRefusal } from "../../src/security/portal-scope";
import type { PortalAuth } from "../../src/types";

const auth = (capabilities: PortalAuth["capabilities"] = ["ViewBase"]): PortalAuth => ({
  kind: "portal",
  appId: "app_mine",
  appUid: "mine",
  capabilities,
  featureFlags: [],
  tokenHash: "h",
});

describe("portalRefusal", () => {
  it("allows the application's reads by id, by uid and by a percent-encoded id, and HEAD as GET", () => {
    for (const path of ["/api/v1/app/app_mine", "/api/v1/app/mine/endpoint", "/api/v1/app/%61pp_mine/msg"]) {
      expect(portalRefusal(auth(), "GET", path), path).toBeNull();
    }
    expect(portalRefusal(auth(), "HEAD", "/api/v1/app/app_mine/endpoint")).toBeNull();
  });

  it("refuses other applications and paths the router would read another way", () => {
    for (const path of [
      "/api/v1/app/app_theirs/endpoint",
      "/api/v1/app/app_mine%2F..%2Fapp_theirs/endpoint",
      "/api/v1/app//endpoint",
      "/api/v1//app/app_mine/endpoint",
      "/api/v1/app/",
      "/api/v1/app",
      "/api/v1/app/app_mine/endpoint/",
      "/api/v2/app/app_mine",
      "/docs",
    ]) {
      expect(portalRefusal(auth(), "GET", path), path).not.toBeNull();
    }
  });

  it("names the missing capability, and refuses unknown methods", () => {
    expect(portalRefusal(auth(), "POST", "/api/v1/app/app_mine/endpoint")).toBe(
      "This token cannot manage endpoints",
    );
    expect(
      portalRefusal(auth(["ViewBase", "ManageEndpoint"]), "POST", "/api/v1/app/app_mine/endpoint"),
    ).toBeNull();
    expect(portalRefusal(auth(ALL), "OPTIONS", "/api/v1/app/app_mine/endpoint")).not.toBeNull();
    expect(portalRefusal(auth(ALL), "POST", "/api/v1/app/app_mine/msg")).toBe(
      "This token cannot use this route",
    );
  });
});

const ALL: PortalAuth["capabilities"] = [
  "ViewBase",
  "ViewEndpointSecret",
  "ManageEndpointSecret",
  "ManageTransformations",
  "CreateAttempts",
  "ManageEndpoint",
];
