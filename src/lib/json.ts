/** Parses a JSON column written by this code; a corrupt value reads as the fallback, never a crash. */
export function parseJson<T>(value: string | null | undefined, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

export const isoTime = (ms: number) => new Date(ms).toISOString();

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed|SQLITE_CONSTRAINT/.test(err.message);
}
