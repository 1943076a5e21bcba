// How deep JSON may nest here. JSON.parse takes a text nested 100k levels deep, but what comes
// after it may not: JSON.stringify, the schema validator and zod recurse with the value and
// can run out of stack (a 500). A linear scan of the text finds such JSON before anything
// recurses into it.

/** How deep a request body may nest arrays and objects; the body itself is level 1. */
export const MAX_BODY_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x5b, 0x7b]); // [ {
const CLOSE = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether a JSON text nests arrays and objects more than `max` levels deep. Brackets inside
 * strings (escapes honoured) do not count; malformed text is left for the parser to refuse.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) {
      inString = true;
    } else if (OPEN.has(ch)) {
      if (++depth > max) return true;
    } else if (CLOSE.has(ch)) {
      depth--;
    }
  }
  return false;
}
