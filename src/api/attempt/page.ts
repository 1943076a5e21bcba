import { type AttemptFilter, listAttempts } from "../../db/attempts";
import { listResponse, type PaginationQuery, pageRequest } from "../../lib/pagination";
import { idRange } from "../message/schema";
import { toAttemptOut } from "./schema";

/** The query both attempt listings (by endpoint, by message) share. */
export interface AttemptListQuery extends PaginationQuery {
  status?: number;
  status_code_class?: number;
  with_content: boolean;
  before?: string;
  after?: string;
}

/** A page of an application's attempts within `scope`, newest first unless the query says otherwise. */
export async function attemptListPage(
  db: D1Database,
  appId: string,
  scope: Pick<AttemptFilter, "msgId" | "endpointId">,
  q: AttemptListQuery,
) {
  const page = pageRequest(q, "descending");
  const rows = await listAttempts(
    db,
    appId,
    {
      ...scope,
      status: q.status,
      statusCodeClass: q.status_code_class,
      ...idRange("atmpt", q),
      cursor: page.cursor,
    },
    page.direction,
    page.limit,
  );
  return listResponse(
    rows,
    page,
    (r) => r.id,
    (r) => toAttemptOut(r, q.with_content),
  );
}
