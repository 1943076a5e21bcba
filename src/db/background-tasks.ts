// background_tasks: Svix's BackgroundTaskOut for long operations (endpoint.recover). The task
// runs in the application's log objects, one part per shard; `pending` counts the parts left.
export interface BackgroundTaskRow {
  id: string;
  app_id: string;
  task: string;
  status: "running" | "finished" | "failed";
  data: string;
  pending: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = "id, app_id, task, status, data, pending, created_at, updated_at";

export function insertTask(db: D1Database, row: BackgroundTaskRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO background_tasks (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`)
    .bind(row.id, row.app_id, row.task, row.status, row.data, row.pending, row.created_at, row.updated_at);
}

export function getTask(db: D1Database, id: string): Promise<BackgroundTaskRow | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM background_tasks WHERE id = ?1`)
    .bind(id)
    .first<BackgroundTaskRow>();
}

export async function listTasks(
  db: D1Database,
  opts: {
    status?: string;
    task?: string;
    /** Only this application's tasks (an app-portal token's); null for all. */
    appId?: string | null;
    cursor: string | null;
    direction: "ASC" | "DESC";
    limit: number;
  },
): Promise<BackgroundTaskRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM background_tasks
       WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR task = ?2)
         AND (?3 IS NULL OR id ${opts.direction === "ASC" ? ">" : "<"} ?3)
         AND (?5 IS NULL OR app_id = ?5)
       ORDER BY id ${opts.direction} LIMIT ?4`,
    )
    .bind(opts.status ?? null, opts.task ?? null, opts.cursor, opts.limit + 1, opts.appId ?? null)
    .all<BackgroundTaskRow>();
  return results;
}

/** One shard finished its part; the task is finished when none is left. */
export async function finishTaskShard(db: D1Database, id: string, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE background_tasks SET pending = MAX(pending - 1, 0),
         status = CASE WHEN pending <= 1 THEN 'finished' ELSE status END, updated_at = ?2
       WHERE id = ?1`,
    )
    .bind(id, now)
    .run();
}
