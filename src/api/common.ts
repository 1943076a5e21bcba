import { z } from "@hono/zod-openapi";
import type { Auth } from "../types";

/** The one application an app-portal token is confined to; null for the admin token. */
export const portalAppId = (auth: Auth): string | null => (auth.kind === "portal" ? auth.appId : null);

/** The feature flags an app-portal token sees event types by; null (all) for the admin token. */
export const portalFeatureFlags = (auth: Auth): string[] | null =>
  auth.kind === "portal" ? auth.featureFlags : null;

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

/** An app-portal token outside its application or capabilities (src/security/portal-scope.ts). */
export const forbiddenResponse = error("Forbidden: the token's scope does not cover this");

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
