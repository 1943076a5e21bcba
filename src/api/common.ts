import { z } from "@hono/zod-openapi";

// Response schemas shared by every route, so the OpenAPI document lists the error shapes.
export const HttpErrorOut = z.object({ code: z.string(), detail: z.string() }).openapi("HttpErrorOut");

export const HTTPValidationError = z
  .object({
    detail: z.array(
      z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }),
    ),
  })
  .openapi("HTTPValidationError");

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: HttpErrorOut } },
});

export const errorResponses = {
  400: error("Bad request (malformed JSON)"),
  401: error("Unauthorized"),
  404: error("Not found"),
  409: error("Conflict"),
  413: error("Payload too large"),
  422: {
    description: "Validation error",
    content: { "application/json": { schema: HTTPValidationError } },
  },
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const security = [{ HTTPBearer: [] }];

export const noContent = { 204: { description: "No content" } } as const;
