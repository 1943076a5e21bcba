import type { ContentfulStatusCode } from "hono/utils/http-status";

// The closed set of error codes the API answers with, in the Svix error shape
// {"code","detail"}. Validation failures (422) use the list shape instead: see app.ts.
export type ErrorCode =
  | "authentication_failed"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "invalid_json"
  | "bad_request"
  | "payload_too_large"
  | "validation"
  | "unavailable"
  | "internal_error";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

export const notFound = (what = "Entity") => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (detail: string) => new ApiError(409, "conflict", detail);

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A 422 in Svix's validation shape, for checks that run after the schema (URL guard, JSON Schema). */
export class ValidationFailure extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => i.msg).join("; "));
    this.name = "ValidationFailure";
  }
}

export const invalid = (loc: (string | number)[], msg: string, type = "value_error") =>
  new ValidationFailure([{ loc, msg, type }]);
