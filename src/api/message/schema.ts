import { z } from "@hono/zod-openapi";
import { idAt } from "../../lib/ids";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import type { MessageFilter } from "../../log/message-store";
import type { MessageRow } from "../../log/records";
import { ApplicationIn, appIdParam, pathIdSchema, uidSchema } from "../application/schema";
import { eventTypeNameSchema } from "../event-type/schema";
import {
  CHANNEL_MAX,
  FILTER_EVENT_TYPES_MAX,
  MESSAGE_CHANNELS_MAX,
  MESSAGE_TAGS_MAX,
  NAME_PATTERN,
  NAME_PATTERN_MESSAGE,
  PAYLOAD_RETENTION_PERIOD_MAX_DAYS,
  PAYLOAD_RETENTION_PERIOD_MIN_DAYS,
  TAG_MAX,
  TAG_PATTERN,
  TIME_MAX,
  TIME_MIN,
} from "../limits";

export { appIdParam };
export const eventTypeName = eventTypeNameSchema;
export const channelName = z.string().min(1).max(CHANNEL_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE);
const tagName = z
  .string()
  .min(1)
  .max(TAG_MAX)
  .regex(TAG_PATTERN, "must contain only letters, digits, '-', '_', '.', '/', '\\' and '#'");

export const msgParams = appIdParam.extend({
  msg_id: pathIdSchema.openapi({
    param: { name: "msg_id", in: "path" },
    description: "The message's id or eventId",
  }),
});

/** An ISO date-time with offset, within the times ids can encode (limits.ts). */
export const dateTime = z.iso
  .datetime({ offset: true })
  .refine(
    (s) => Date.parse(s) >= Date.parse(TIME_MIN) && Date.parse(s) < Date.parse(TIME_MAX),
    `must be from ${TIME_MIN} and before ${TIME_MAX}`,
  );

/** Svix booleans in the query string: "true"/"false". */
export const queryBool = (defaultValue: boolean) =>
  z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? defaultValue : v === "true"));

/** before/after query bounds, shared by the listings of messages and attempts. */
export const timeRangeQuery = {
  before: dateTime.optional().openapi({ description: "Only items created before this time" }),
  after: dateTime.optional().openapi({ description: "Only items created after this time" }),
};

/** Ids are time-ordered, so a time range is an id range: [after + 1 ms, before). */
export const idRange = (prefix: "msg" | "atmpt", q: { before?: string; after?: string }) => ({
  fromId: q.after ? idAt(prefix, Date.parse(q.after) + 1) : null,
  toId: q.before ? idAt(prefix, Date.parse(q.before)) : null,
});

/** The filter of a message listing (an application's, or one endpoint's) from its query. */
export const messageListFilter = (
  q: { before?: string; after?: string; event_types: string[] | null; channel?: string; tag?: string },
  cursor: string | null,
): MessageFilter => ({
  ...idRange("msg", q),
  eventTypes: q.event_types,
  channel: q.channel ?? null,
  tag: q.tag ?? null,
  cursor,
});

/** The tag filter (MessageIn.tags entries). */
export const tagQuery = tagName.optional().openapi({ description: "Only messages with this tag" });

/**
 * The `event_types` filter. Svix sends lists in the query as comma-separated values (the
 * client) or repeated keys; repeated names count once, and at most FILTER_EVENT_TYPES_MAX.
 */
export const eventTypesQuery = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined
      ? null
      : [...new Set((Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).filter(Boolean))],
  )
  .pipe(z.array(eventTypeName).max(FILTER_EVENT_TYPES_MAX).nullable())
  .openapi({
    type: "array",
    items: { type: "string", maxLength: eventTypeName.maxLength ?? undefined, pattern: NAME_PATTERN.source },
    maxItems: FILTER_EVENT_TYPES_MAX,
    description: `Only these event types (at most ${FILTER_EVENT_TYPES_MAX})`,
  });

export const MessageIn = z
  .object({
    eventType: eventTypeName,
    payload: z.record(z.string(), z.unknown()).openapi({ example: { email: "test@example.com" } }),
    eventId: uidSchema.nullish().openapi({ description: "Optional unique identifier for the message" }),
    channels: z
      .array(channelName)
      .min(1)
      .max(MESSAGE_CHANNELS_MAX)
      .refine((c) => new Set(c).size === c.length, "channels must be unique")
      .nullish()
      .openapi({ description: "List of free-form identifiers that endpoints can filter by" }),
    tags: z
      .array(tagName)
      .max(MESSAGE_TAGS_MAX)
      .refine((t) => new Set(t).size === t.length, "tags must be unique")
      .nullish(),
    payloadRetentionPeriod: z
      .number()
      .int()
      .min(PAYLOAD_RETENTION_PERIOD_MIN_DAYS)
      .max(PAYLOAD_RETENTION_PERIOD_MAX_DAYS)
      .nullish()
      .openapi({ default: PAYLOAD_RETENTION_PERIOD_MAX_DAYS }),
    payloadRetentionHours: z
      .number()
      .int()
      .min(1)
      .max(2160)
      .nullish()
      .openapi({ description: "Hours to keep the payload; exclusive with payloadRetentionPeriod" }),
    deliverAt: dateTime
      .nullish()
      .openapi({ description: "Deliver at this time (at least one minute, at most 24 hours ahead)" }),
    application: ApplicationIn.nullish().openapi({
      description: "Creates the application when the path's id or uid does not exist yet",
    }),
  })
  .openapi("MessageIn");

export const MessageOut = z
  .object({
    id: z.string().openapi({ example: "msg_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    eventType: z.string(),
    eventId: z.string().nullable().optional(),
    payload: z.record(z.string(), z.unknown()),
    channels: z.array(z.string()).nullable().optional(),
    tags: z.array(z.string()).nullable().optional(),
    timestamp: z.string(),
    deliverAt: z.string().nullable().optional(),
  })
  .openapi("MessageOut");

export const ListResponseMessageOut = listResponseSchema(MessageOut, "ListResponse_MessageOut_");

/** Payload as returned: empty when not requested or when the content was expunged. */
export function messagePayload(row: MessageRow, withContent: boolean): Record<string, unknown> {
  return withContent ? parseJson<Record<string, unknown>>(row.payload, {}) : {};
}

export function toMessageOut(row: MessageRow, withContent: boolean): z.infer<typeof MessageOut> {
  return {
    id: row.id,
    eventType: row.event_type,
    eventId: row.event_id,
    payload: messagePayload(row, withContent),
    channels: parseJson<string[] | null>(row.channels, null),
    tags: parseJson<string[] | null>(row.tags, null),
    timestamp: isoTime(row.created_at),
    deliverAt: row.deliver_at === null ? null : isoTime(row.deliver_at),
  };
}
