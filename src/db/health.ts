// The health check's query: touches no table, so it answers whenever D1 can run a statement.
export async function pingDatabase(db: D1Database): Promise<void> {
  await db.prepare("SELECT 1").first();
}
