import { z } from "@hono/zod-openapi";
import type { ApplicationRow } from "../../db/applications";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";

export const uidSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[a-zA-Z0-9\-_.]+$/, "must contain only letters, digits, '-', '_' and '.'");

export const metadataSchema = z.record(z.string(), z.string());

export const appIdParam = z.object({
  app_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({
      param: { name: "app_id", in: "path" },
      description: "The application's id or uid",
      example: "app_1srOrx2ZWZBpBUvZwXKQmoEYga2",
    }),
});

export const ApplicationIn = z
  .object({
    name: z.string().min(1).openapi({ example: "My first application" }),
    uid: uidSchema.nullish().openapi({ description: "Optional unique identifier for the application" }),
    throttleRate: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .nullish()
      .openapi({ description: "Maximum messages per second to send to this application's endpoints" }),
    metadata: metadataSchema.optional(),
  })
  .openapi("ApplicationIn");

export const ApplicationPatch = z
  .object({
    name: z.string().min(1).optional(),
    uid: uidSchema.nullish(),
    throttleRate: z.number().int().min(0).max(65535).nullish(),
    metadata: metadataSchema.optional(),
  })
  .openapi("ApplicationPatch");

export const ApplicationOut = z
  .object({
    id: z.string().openapi({ example: "app_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    uid: z.string().nullable(),
    name: z.string(),
    throttleRate: z.number().int().nullable(),
    metadata: metadataSchema,
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
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
