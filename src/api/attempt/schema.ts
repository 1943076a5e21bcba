import { z } from "@hono/zod-openapi";
import { isoTime } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import { type AttemptRow, type MessageRow, STATUS_TEXT } from "../../log/records";
import { pathIdSchema } from "../application/schema";
import { appIdParam, MessageOut, toMessageOut } from "../message/schema";

export const messageStatus = z
  .union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)])
  .openapi("MessageStatus", { description: "0 success, 1 pending, 2 fail, 3 sending" });
export const messageStatusText = z.enum(STATUS_TEXT).openapi("MessageStatusText");

export const statusText = (status: number) => STATUS_TEXT[status] ?? "pending";
export const asStatus = (status: number) => (status >= 0 && status <= 3 ? status : 1) as 0 | 1 | 2 | 3;

export const endpointIdParam = pathIdSchema.openapi({
  param: { name: "endpoint_id", in: "path" },
  description: "The endpoint's id or uid",
});

export const attemptIdParam = pathIdSchema.openapi({ param: { name: "attempt_id", in: "path" } });

export const appEndpointParams = appIdParam.extend({ endpoint_id: endpointIdParam });

/** status / status_code_class query filters (Svix sends them as numbers). */
export const statusQuery = z.coerce.number().int().min(0).max(3).optional().openapi({ type: "integer" });
export const statusCodeClassQuery = z.coerce
  .number()
  .int()
  .refine((n) => [0, 100, 200, 300, 400, 500].includes(n), "must be 0, 100, 200, 300, 400 or 500")
  .optional()
  .openapi({ type: "integer" });

/**
 * The official client sends `expanded_statuses=true` by default (Svix's Canceled, 4). Edgehook
 * never cancels a delivery, so the answer is the same either way; the parameter is accepted so
 * that the strict listings do not refuse the client's requests.
 */
export const expandedStatusesQuery = z
  .enum(["true", "false"])
  .optional()
  .openapi({ type: "boolean", description: "Accepted for the Svix clients; no status is ever Canceled (4)" });

export const MessageAttemptOut = z
  .object({
    id: z.string().openapi({ example: "atmpt_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    msgId: z.string(),
    endpointId: z.string(),
    url: z.string(),
    response: z.string(),
    responseStatusCode: z.number().int(),
    responseDurationMs: z.number().int(),
    status: messageStatus,
    statusText: messageStatusText,
    triggerType: z.union([z.literal(0), z.literal(1)]).openapi({ description: "0 scheduled, 1 manual" }),
    timestamp: z.string(),
    msg: MessageOut.nullable().optional(),
  })
  .openapi("MessageAttemptOut");

export const ListResponseMessageAttemptOut = listResponseSchema(
  MessageAttemptOut,
  "ListResponse_MessageAttemptOut_",
);

export function toAttemptOut(
  row: AttemptRow & { msg?: MessageRow | null },
  withContent = true,
): z.infer<typeof MessageAttemptOut> {
  return {
    // with_msg: Svix never includes the message's payload here, whatever with_content says.
    ...(row.msg === undefined ? {} : { msg: row.msg ? toMessageOut(row.msg, false) : null }),
    id: row.id,
    msgId: row.msg_id,
    endpointId: row.endpoint_id,
    url: row.url,
    response: withContent ? row.response : "",
    responseStatusCode: row.response_status_code,
    responseDurationMs: row.response_duration_ms,
    // An attempt is Success or Fail; pending and sending describe its destination.
    status: row.status === 0 ? 0 : 2,
    statusText: row.status === 0 ? "success" : "fail",
    triggerType: row.trigger_type === 1 ? 1 : 0,
    timestamp: isoTime(row.created_at),
  };
}
