// The pure parts of talking to the API: query strings and the message an error shows. Pure, for tests.

type Issue = { loc?: unknown[]; msg?: string };

/** The API's message: `detail` of {code, detail}, or each issue of a 422's list. */
export function errorMessage(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return (detail as Issue[])
      .map((i) => {
        const field = (i.loc ?? []).filter((p) => p !== "body").join(".");
        return field ? `${field}: ${i.msg ?? "invalid"}` : (i.msg ?? "invalid");
      })
      .join("; ");
  }
  return `The request failed (HTTP ${status}).`;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
