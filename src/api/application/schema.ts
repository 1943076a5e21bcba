import { z } from "@hono/zod-openapi";
import type { ApplicationRow } from "../../db/applications";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import {
  APP_NAME_MAX,
  METADATA_JSON_MAX,
  METADATA_KEY_MAX,
  METADATA_KEYS_MAX,
  METADATA_VALUE_MAX,
  NAME_PATTERN,
  NAME_PATTERN_MESSAGE,
  THROTTLE_RATE_MAX,
  UID_MAX,
} from "../limits";

export const uidSchema = z.string().min(1).max(UID_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE);

/** An id or uid in the path: Svix's uid rules (ids are of the same alphabet). */
export const pathIdSchema = uidSchema;

/** Metadata as answered; metadataIn bounds what a caller may store. */
export const metadataSchema = z.record(z.string(), z.string());

export const metadataIn = z
  .record(z.string().max(METADATA_KEY_MAX), z.string().max(METADATA_VALUE_MAX))
  .refine((m) => Object.keys(m).length <= METADATA_KEYS_MAX, `must have at most ${METADATA_KEYS_MAX} keys`)
  .refine(
    (m) => JSON.stringify(m).length <= METADATA_JSON_MAX,
    `must be at most ${METADATA_JSON_MAX} characters as JSON`,
  )
  .openapi({
    maxProperties: METADATA_KEYS_MAX,
    description: `At most ${METADATA_KEYS_MAX} keys of ${METADATA_KEY_MAX} characters, values of ${METADATA_VALUE_MAX}, ${METADATA_JSON_MAX} as JSON`,
  });

export const appNameSchema = z.string().min(1).max(APP_NAME_MAX);

/** throttleRate is a uint16; 0 clears it where a patch allows that. */
export const throttleRateSchema = (min: 0 | 1) => z.number().int().min(min).max(THROTTLE_RATE_MAX);

/** Edgehook's opt-in to the egress relays for all of an application's endpoints. */
const egressRelayIn = z
  .boolean()
  .optional()
  .openapi({
    description:
      "Edgehook extension: with the operator's EGRESS_RELAY_MODE=opt-in, the deliveries of all this " +
      "application's endpoints leave through the egress relays' static addresses (GET " +
      "/api/v1/egress-ips), as do those of endpoints that opt in themselves. Omitted on update: " +
      "unchanged. Ignored in modes off (none relayed) and all (every delivery relayed).",
  });

export const appIdParam = z.object({
  app_id: pathIdSchema.openapi({
    param: { name: "app_id", in: "path" },
    description: "The application's id or uid",
    example: "app_1srOrx2ZWZBpBUvZwXKQmoEYga2",
  }),
});

export const ApplicationIn = z
  .object({
    name: appNameSchema.openapi({ example: "My first application" }),
    uid: uidSchema.nullish().openapi({ description: "Optional unique identifier for the application" }),
    throttleRate: throttleRateSchema(1)
      .nullish()
      .openapi({ description: "Maximum messages per second to send to this application's endpoints" }),
    metadata: metadataIn.optional(),
    egressRelay: egressRelayIn,
  })
  .openapi("ApplicationIn");

export const ApplicationPatch = z
  .object({
    name: appNameSchema.optional(),
    uid: uidSchema.nullish(),
    throttleRate: throttleRateSchema(0).nullish(),
    metadata: metadataIn.optional(),
    egressRelay: egressRelayIn,
  })
  .openapi("ApplicationPatch");

export const ApplicationOut = z
  .object({
    id: z.string().openapi({ example: "app_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    uid: z.string().nullable(),
    name: z.string(),
    throttleRate: z.number().int().nullable(),
    metadata: metadataSchema,
    egressRelay: z.boolean().openapi({
      description: "Edgehook extension: the application opts in to the egress relays (see ApplicationIn)",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("ApplicationOut");

export const ListResponseApplicationOut = listResponseSchema(ApplicationOut, "ListResponse_ApplicationOut_");

export function toApplicationOut(row: ApplicationRow): z.infer<typeof ApplicationOut> {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    throttleRate: row.throttle_rate,
    metadata: parseJson(row.metadata, {}),
    egressRelay: row.egress_relay === 1,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
