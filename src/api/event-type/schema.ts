import { z } from "@hono/zod-openapi";
import type { EventTypeRow } from "../../db/event-types";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import type { EventTypeSchemas } from "../../services/event-types";
import {
  EVENT_TYPE_DESCRIPTION_MAX,
  EVENT_TYPE_NAME_MAX,
  FEATURE_FLAG_MAX,
  FEATURE_FLAGS_MAX,
  GROUP_NAME_MAX,
  NAME_PATTERN,
  NAME_PATTERN_MESSAGE,
} from "../limits";

export const eventTypeNameSchema = z
  .string()
  .min(1)
  .max(EVENT_TYPE_NAME_MAX)
  .regex(NAME_PATTERN, NAME_PATTERN_MESSAGE)
  .openapi({ example: "user.signup" });

const featureFlagSchema = z.string().min(1).max(FEATURE_FLAG_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE);

export const eventTypeNameParam = z.object({
  event_type_name: eventTypeNameSchema.openapi({
    param: { name: "event_type_name", in: "path" },
    description: "The event type's name",
  }),
});

const schemasSchema = z
  .record(z.string(), z.record(z.string(), z.unknown()))
  .nullish()
  .openapi({
    description: "The schema for the event type for a specific version as a JSON schema.",
    example: { "1": { type: "object", properties: { userId: { type: "string" } }, required: ["userId"] } },
  });

// Fields shared by create, update (PUT) and patch. `featureFlags`/`groupName` come from the
// svix client's models; `featureFlag` from the OpenAPI document.
const eventTypeFields = {
  description: z.string().max(EVENT_TYPE_DESCRIPTION_MAX).openapi({ example: "A user has signed up" }),
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  schemas: schemasSchema,
  featureFlag: featureFlagSchema.nullish(),
  featureFlags: z.array(featureFlagSchema).max(FEATURE_FLAGS_MAX).nullish(),
  groupName: z.string().max(GROUP_NAME_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE).nullish(),
};

export const EventTypeIn = z.object({ name: eventTypeNameSchema, ...eventTypeFields }).openapi("EventTypeIn");

export const EventTypeUpdate = z.object(eventTypeFields).openapi("EventTypeUpdate");

export const EventTypePatch = z
  .object({ ...eventTypeFields, description: eventTypeFields.description.optional() })
  .openapi("EventTypePatch");

export const EventTypeOut = z
  .object({
    name: z.string(),
    description: z.string(),
    archived: z.boolean(),
    deprecated: z.boolean(),
    schemas: z.record(z.string(), z.record(z.string(), z.unknown())).nullable().optional(),
    featureFlag: z.string().nullable(),
    featureFlags: z.array(z.string()).nullable(),
    groupName: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("EventTypeOut");

export const ListResponseEventTypeOut = listResponseSchema(EventTypeOut, "ListResponse_EventTypeOut_");

/** `withContent: false` leaves the schemas out, as Svix's list does without `with_content`. */
export function toEventTypeOut(row: EventTypeRow, withContent = true): z.infer<typeof EventTypeOut> {
  return {
    name: row.name,
    description: row.description,
    archived: row.archived === 1,
    deprecated: row.deprecated === 1,
    ...(withContent ? { schemas: parseJson<EventTypeSchemas | null>(row.schemas, null) } : {}),
    featureFlag: row.feature_flag,
    featureFlags: parseJson<string[] | null>(row.feature_flags, null),
    groupName: row.group_name,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
