import { z } from "@hono/zod-openapi";
import type { EndpointRow } from "../../db/endpoints";
import { invalid } from "../../errors";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import {
  appIdParam,
  metadataIn,
  metadataSchema,
  pathIdSchema,
  throttleRateSchema,
  uidSchema,
} from "../application/schema";
import { eventTypeNameSchema } from "../event-type/schema";
import {
  CHANNEL_MAX,
  ENDPOINT_CHANNELS_MAX,
  ENDPOINT_DESCRIPTION_MAX,
  ENDPOINT_EVENT_TYPES_MAX,
  ENDPOINT_URL_MAX,
  GRACE_PERIOD_MAX_SECONDS,
  NAME_PATTERN,
  NAME_PATTERN_MESSAGE,
  SECRET_PATTERN,
} from "../limits";

export const endpointParams = appIdParam.extend({
  endpoint_id: pathIdSchema.openapi({
    param: { name: "endpoint_id", in: "path" },
    description: "The endpoint's id or uid",
    example: "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2",
  }),
});

const unique = (list: string[]) => new Set(list).size === list.length;

const channelSchema = z.string().min(1).max(CHANNEL_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE);

const eventTypes = z
  .array(eventTypeNameSchema)
  .max(ENDPOINT_EVENT_TYPES_MAX)
  .refine(unique, "must not repeat an event type")
  .openapi({ description: "Event types this endpoint receives (omit or null for all)" });
const channels = z
  .array(channelSchema)
  .max(ENDPOINT_CHANNELS_MAX)
  .refine(unique, "must not repeat a channel")
  .openapi({ description: "Channels this endpoint listens to (omit or null for all)" });

/** What svix-react and older Svix clients send for eventTypes; `[]` there means all event types. */
const filterTypes = z
  .array(eventTypeNameSchema)
  .max(ENDPOINT_EVENT_TYPES_MAX)
  .refine(unique, "must not repeat an event type")
  .nullish()
  .openapi({ description: "Alias of eventTypes (older Svix clients); empty or null means all" });

/** The same filter, order aside; null and [] both mean all. */
function sameFilter(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  const x = a?.length ? [...a].sort() : [];
  const y = b?.length ? [...b].sort() : [];
  return x.length === y.length && x.every((name, i) => name === y[i]);
}

/**
 * Folds `filterTypes` into `eventTypes`: `filterTypes: []` is null (all); both given and naming
 * different filters is a 422, as which one is meant is unclear.
 */
export function withFilterTypes<T extends { eventTypes?: string[] | null; filterTypes?: string[] | null }>(
  input: T,
): Omit<T, "filterTypes"> {
  const { filterTypes: alias, ...rest } = input;
  if (alias === undefined) return rest;
  if (rest.eventTypes !== undefined && !sameFilter(rest.eventTypes, alias)) {
    throw invalid(["body", "filterTypes"], "must name the same event types as eventTypes (or be omitted)");
  }
  return { ...rest, eventTypes: alias?.length ? alias : null };
}

// Svix's whsec_ pattern, or a Standard Webhooks v1a Ed25519 secret key: "whsk_" + base64 of
// its 32-byte seed or 64-byte secret key (src/security/ed25519.ts).
const SIGNING_SECRET_PATTERN = new RegExp(
  `^(?:${SECRET_PATTERN.source.slice(1, -1)}|whsk_[a-zA-Z0-9+/]{43}=|whsk_[a-zA-Z0-9+/]{86}==)$`,
);

export const secretSchema = z
  .string()
  .regex(
    SIGNING_SECRET_PATTERN,
    "must be base64 (24 to 75 bytes) optionally prefixed with whsec_, or an Ed25519 key prefixed with whsk_",
  )
  .openapi({
    example: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    description:
      "A `whsec_` secret signs `v1` (HMAC-SHA256); a `whsk_` Ed25519 secret key (base64 of its " +
      "32-byte seed or 64-byte secret key) signs `v1a`, and the endpoint's secret is then its `whpk_` public key.",
  });

/** Edgehook: which scheme a generated key signs with, when no secret is given. */
export const signatureSchemeSchema = z
  .enum(["v1", "v1a"])
  .nullish()
  .openapi({
    description:
      "Edgehook extension: the scheme of the key generated when none is given: `v1` (HMAC, a `whsec_` " +
      "secret) or `v1a` (Ed25519: Edgehook keeps the `whsk_` secret key, the receiver gets the `whpk_` " +
      "public key). Creation defaults to `v1`; a rotation defaults to the current key's scheme.",
  });

/** The secret route's answer: the whsec_ secret (v1), or the whpk_ public key of a v1a key. */
const secretOutSchema = z
  .string()
  .regex(new RegExp(`^(?:${SECRET_PATTERN.source.slice(1, -1)}|whpk_[a-zA-Z0-9+/]{43}=)$`))
  .openapi({
    example: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    description: "The `whsec_` secret of a `v1` endpoint, or the `whpk_` Ed25519 public key of a `v1a` one",
  });

export const headersSchema = z
  .record(z.string(), z.string())
  .openapi({ example: { "X-Example": "123", "X-Foobar": "Bar" } });

/** Edgehook: an mTLS certificate binding the operator declared (src/delivery/mtls.ts). */
const mtlsCertificateSchema = z
  .string()
  .min(1)
  .max(64)
  .nullish()
  .openapi({
    description:
      "Edgehook extension: the name of an mTLS client certificate the operator declared " +
      "(wrangler.toml [[mtls_certificates]] and MTLS_CERTIFICATES); deliveries then present it in the " +
      "TLS handshake. An undeclared name is refused (422). null removes it; omitted (PUT, PATCH) keeps it.",
    example: "MTLS_ACME",
  });

const endpointFields = {
  url: z
    .string()
    .min(1)
    .max(ENDPOINT_URL_MAX)
    .openapi({
      description: `https URL of a public host (checked on every change and before every send), at most ${ENDPOINT_URL_MAX} characters`,
      example: "https://example.com/webhook/",
    }),
  description: z.string().max(ENDPOINT_DESCRIPTION_MAX).optional(),
  throttleRate: throttleRateSchema(1)
    .nullish()
    .openapi({ description: "Maximum messages per second to send to this endpoint" }),
  uid: uidSchema.nullish().openapi({ description: "Optional unique identifier for the endpoint" }),
  disabled: z.boolean().optional(),
  eventTypes: eventTypes.min(1).nullish(),
  filterTypes,
  channels: channels.min(1).nullish(),
  metadata: metadataIn.optional(),
  egressRelay: z
    .boolean()
    .optional()
    .openapi({
      description:
        "Edgehook extension: with the operator's EGRESS_RELAY_MODE=opt-in, this endpoint's deliveries " +
        "leave through the egress relays' static addresses (GET /api/v1/egress-ips). Omitted on " +
        "update: unchanged. Ignored in modes off (none relayed) and all (every delivery relayed).",
    }),
  mtlsCertificate: mtlsCertificateSchema,
};

export const EndpointIn = z
  .object({
    ...endpointFields,
    secret: secretSchema.nullish().openapi({ description: "The signing secret; generated when omitted" }),
    signatureScheme: signatureSchemeSchema,
    headers: headersSchema.nullish().openapi({ description: "Custom headers sent with every delivery" }),
  })
  .openapi("EndpointIn");

export const EndpointUpdate = z.object(endpointFields).openapi("EndpointUpdate");

export const EndpointPatch = z
  .object({
    ...endpointFields,
    url: endpointFields.url.optional(),
    // 0 clears the limit; an empty list means "all", like null.
    throttleRate: throttleRateSchema(0).nullish(),
    eventTypes: eventTypes.nullish(),
    channels: channels.nullish(),
  })
  .openapi("EndpointPatch");

export const EndpointOut = z
  .object({
    id: z.string().openapi({ example: "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    uid: z.string().nullable(),
    url: z.string(),
    description: z.string(),
    throttleRate: z.number().int().nullable(),
    disabled: z.boolean(),
    eventTypes: z.array(z.string()).nullable(),
    channels: z.array(z.string()).nullable(),
    metadata: metadataSchema,
    egressRelay: z.boolean().openapi({
      description: "Edgehook extension: the endpoint opts in to the egress relays (see EndpointIn)",
    }),
    mtlsCertificate: z.string().nullable().openapi({
      description: "Edgehook extension: the mTLS client certificate deliveries present, or null",
    }),
    disabledReason: z.string().nullable().openapi({
      description: "Edgehook extension: why the endpoint was disabled automatically, or null",
      example: "The endpoint answered 410 Gone",
    }),
    failingSince: z.string().nullable().openapi({
      description:
        "Edgehook extension: when its deliveries started failing (the first failure since the last success), or null",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("EndpointOut");

export const ListResponseEndpointOut = listResponseSchema(EndpointOut, "ListResponse_EndpointOut_");

export const EndpointSecretOut = z.object({ key: secretOutSchema }).openapi("EndpointSecretOut");

export const EndpointSecretRotateIn = z
  .object({
    key: secretSchema.nullish().openapi({ description: "The new secret; generated when omitted" }),
    signatureScheme: signatureSchemeSchema,
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(GRACE_PERIOD_MAX_SECONDS)
      .nullish()
      .openapi({ description: "How long the old secret stays valid (0 to 7 days; default 24 hours)" }),
  })
  .openapi("EndpointSecretRotateIn");

export const EndpointHeadersIn = z.object({ headers: headersSchema }).openapi("EndpointHeadersIn");

export const EndpointHeadersPatchIn = z
  .object({ headers: z.record(z.string(), z.string().nullable()) })
  .openapi("EndpointHeadersPatchIn");

export const EndpointHeadersOut = z
  .object({
    headers: headersSchema,
    sensitive: z
      .array(z.string())
      .openapi({ description: "Headers whose values are hidden", example: ["Authorization"] }),
  })
  .openapi("EndpointHeadersOut");

export function toEndpointOut(row: EndpointRow): z.infer<typeof EndpointOut> {
  return {
    id: row.id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    throttleRate: row.throttle_rate,
    disabled: row.disabled === 1,
    eventTypes: parseJson<string[] | null>(row.event_types, null),
    channels: parseJson<string[] | null>(row.channels, null),
    metadata: parseJson(row.metadata, {}),
    egressRelay: row.egress_relay === 1,
    mtlsCertificate: row.mtls_certificate,
    disabledReason: row.disabled === 1 ? row.disabled_reason : null,
    failingSince: row.failing_since === null ? null : isoTime(row.failing_since),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
