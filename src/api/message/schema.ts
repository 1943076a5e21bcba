import { z } from "@hono/zod-openapi";
import { idAt } from "../../lib/ids";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import type { MessageFilter } from "../../log/message-store";
import type { MessageRow } from "../../log/records";
import { ApplicationIn, uidSchema } from "../application/schema";

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
const namePattern = "must contain only letters, digits, '-', '_' and '.'";

export const eventTypeName = z
  .string()
  .min(1)
  .max(256)
  .regex(NAME_PATTERN, namePattern)
  .openapi({ example: "user.signup" });
export const channelName = z.string().min(1).max(128).regex(NAME_PATTERN, namePattern);

export const appIdParam = z.object({
  app_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "app_id", in: "path" }, description: "The application's id or uid" }),
});

export const msgParams = appIdParam.extend({
  msg_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "msg_id", in: "path" }, description: "The message's id or eventId" }),
});

/** Svix booleans in the query string: "true"/"false". */
export const queryBool = (defaultValue: boolean) =>
  z
    .enum(["true", "false"])
    .optional()
    .transform((v) => (v === undefined ? defaultValue : v === "true"));

/** before/after query bounds, shared by the listings of messages and attempts. */
export const timeRangeQuery = {
  before: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Only items created before this time" }),
  after: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Only items created after this time" }),
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
export const tagQuery = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .openapi({ description: "Only messages with this tag" });

/** Svix sends lists in the query as comma-separated values (the client) or repeated keys. */
export const queryList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    v === undefined ? null : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).filter(Boolean),
  );

export const MessageIn = z
  .object({
    eventType: eventTypeName,
    payload: z.record(z.string(), z.unknown()).openapi({ example: { email: "test@example.com" } }),
    eventId: uidSchema.nullish().openapi({ description: "Optional unique identifier for the message" }),
    channels: z
      .array(channelName)
      .min(1)
      .max(5)
      .refine((c) => new Set(c).size === c.length, "channels must be unique")
      .nullish()
      .openapi({ description: "List of free-form identifiers that endpoints can filter by" }),
    tags: z.array(z.string().min(1).max(128)).max(5).nullish(),
    payloadRetentionPeriod: z.number().int().min(5).max(90).nullish().openapi({ default: 90 }),
    payloadRetentionHours: z
      .number()
      .int()
      .min(1)
      .max(2160)
      .nullish()
      .openapi({ description: "Hours to keep the payload; exclusive with payloadRetentionPeriod" }),
    deliverAt: z.iso
      .datetime({ offset: true })
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
