import { createRoute, z } from "@hono/zod-openapi";
import { getConfig } from "../../config";
import type { App } from "../../types";

export const EGRESS_IPS_PATH = "/api/v1/egress-ips";
export const CLOUDFLARE_RANGES_URL = "https://www.cloudflare.com/ips/";

// Worded for the receiver reading the JSON: the shared ranges are the honest answer for what
// does not go through a relay, and allowlisting them admits every Cloudflare customer.
const DIRECT_NOTE =
  "Deliveries not sent through an egress relay leave from Cloudflare's shared address ranges " +
  `(${CLOUDFLARE_RANGES_URL}), which every Cloudflare customer shares: allowlisting them does ` +
  "not identify this sender. Verify the webhook signature in every case.";

const egressIps = z
  .object({
    regions: z.record(z.string(), z.array(z.string())).openapi({
      example: { eu: ["203.0.113.7"] },
      description: "Relay addresses (IPv4 and IPv6) per region.",
    }),
    updatedAt: z.string().nullable().openapi({
      description: "When the operator last changed the list (ISO 8601); null when none was ever listed.",
    }),
    note: z.string(),
    cloudflareRanges: z.string().openapi({ example: CLOUDFLARE_RANGES_URL }),
  })
  .openapi("EgressIps");

const route = createRoute({
  method: "get",
  path: EGRESS_IPS_PATH,
  operationId: "v1.egress-ips.get",
  tags: ["Egress"],
  summary: "Egress addresses",
  description:
    "The addresses this deployment's egress relays send from, per region, for receivers' " +
    "firewalls to poll (an Edgehook extension, not part of the Svix API). Answers without " +
    "authentication: it is public information. Cached for 5 minutes.",
  responses: {
    200: { description: "The published addresses", content: { "application/json": { schema: egressIps } } },
  },
});

export const registerEgressIps = (app: App) => {
  app.openapi(route, (c) => {
    const { regions, updatedAt } = getConfig(c.env).egress;
    c.header("cache-control", "public, max-age=300");
    return c.json({ regions, updatedAt, note: DIRECT_NOTE, cloudflareRanges: CLOUDFLARE_RANGES_URL }, 200);
  });
};
