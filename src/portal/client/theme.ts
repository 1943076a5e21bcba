// Theme from the query parameters svix-react's AppPortal appends (primaryColor, darkMode).
// Pure: the page applies the result through the CSSOM (style.setProperty), which the CSP allows.

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** "#ff6600" or "#f60" (lower-cased), or null for anything else: no CSS reaches the page unchecked. */
export function parseHexColour(value: string | null | undefined): string | null {
  const v = value?.trim() ?? "";
  return HEX_COLOUR.test(v) ? v.toLowerCase() : null;
}

export interface Theme {
  primaryColor: string | null;
  dark: boolean;
}

export function parseTheme(search: string): Theme {
  const params = new URLSearchParams(search);
  return {
    primaryColor: parseHexColour(params.get("primaryColor")),
    dark: params.get("darkMode") === "true",
  };
}
