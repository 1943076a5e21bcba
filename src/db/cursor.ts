/** SQL comparing `column` with the cursor parameter in the walking direction ("1=1" without a cursor). */
export function afterCursor(
  page: { cursor: string | null; direction: "ASC" | "DESC" },
  column: string,
  param: string,
): string {
  if (!page.cursor) return "1=1";
  return `${column} ${page.direction === "ASC" ? ">" : "<"} ${param}`;
}
