// Deliveries the rate limit sent back before their first attempt: without an attempt row and
// past the watermark, only this small table keeps the outbox aware of them. A delivery enters
// when it is deferred and leaves with its first attempt (a DELETE that matches nothing writes
// no row, so deliveries that were never deferred pay nothing).
export class WaitingStore {
  private ready = false;

  constructor(private readonly sql: SqlStorage) {}

  private ensure(): void {
    if (this.ready) return;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS waiting (msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL,
        due_at INTEGER NOT NULL, PRIMARY KEY (msg_id, endpoint_id)) WITHOUT ROWID`,
    );
    this.ready = true;
  }

  park(msgId: string, endpointId: string, dueAt: number): void {
    this.ensure();
    this.sql.exec(
      "INSERT OR REPLACE INTO waiting (msg_id, endpoint_id, due_at) VALUES (?, ?, ?)",
      msgId,
      endpointId,
      dueAt,
    );
  }

  has(msgId: string, endpointId: string): boolean {
    this.ensure();
    return (
      this.sql.exec("SELECT 1 FROM waiting WHERE msg_id = ? AND endpoint_id = ?", msgId, endpointId).toArray()
        .length > 0
    );
  }

  leave(msgId: string, endpointId: string): void {
    this.ensure();
    this.sql.exec("DELETE FROM waiting WHERE msg_id = ? AND endpoint_id = ?", msgId, endpointId);
  }

  due(until: number, limit: number): { msg_id: string; endpoint_id: string; due_at: number }[] {
    this.ensure();
    return this.sql
      .exec<{ msg_id: string; endpoint_id: string; due_at: number }>(
        "SELECT msg_id, endpoint_id, due_at FROM waiting WHERE due_at <= ? LIMIT ?",
        until,
        limit,
      )
      .toArray();
  }

  /** Forgets a deleted endpoint's or expired entries. */
  drop(where: { endpointId?: string; before?: number }): void {
    this.ensure();
    if (where.endpointId) this.sql.exec("DELETE FROM waiting WHERE endpoint_id = ?", where.endpointId);
    if (where.before !== undefined) this.sql.exec("DELETE FROM waiting WHERE due_at < ?", where.before);
  }

  reset(): void {
    this.ready = false;
  }
}
