import { listResponse, type PaginationQuery, pageRequest, paginationQuery } from "../../lib/pagination";
import type { AttemptFilter } from "../../log/attempt-store";
import type { AttemptWithMessage } from "../../services/attempts";
import {
  channelName,
  eventTypesQuery,
  idRange,
  queryBool,
  tagQuery,
  timeRangeQuery,
} from "../message/schema";
import { expandedStatusesQuery, statusCodeClassQuery, statusQuery, toAttemptOut } from "./schema";

/** The query both attempt listings (by endpoint, by message) share; unknown parameters are a 422. */
export const attemptListQuery = paginationQuery.extend({
  status: statusQuery,
  status_code_class: statusCodeClassQuery,
  channel: channelName.optional().openapi({ description: "Only attempts of messages sent on this channel" }),
  tag: tagQuery,
  event_types: eventTypesQuery,
  with_content: queryBool(true).openapi({ type: "boolean" }),
  expanded_statuses: expandedStatusesQuery,
  ...timeRangeQuery,
});

export interface AttemptListQuery extends PaginationQuery {
  status?: number;
  status_code_class?: number;
  channel?: string;
  tag?: string;
  event_types: string[] | null;
  with_content: boolean;
  before?: string;
  after?: string;
}

/** The page request and the log's filter of an attempt listing. */
export function attemptListRequest(q: AttemptListQuery) {
  const page = pageRequest(q, "descending");
  const filter: AttemptFilter = {
    status: q.status,
    statusCodeClass: q.status_code_class,
    ...idRange("atmpt", q),
    cursor: page.cursor,
    eventTypes: q.event_types,
    channel: q.channel ?? null,
    tag: q.tag ?? null,
  };
  return { page, filter };
}

export const attemptPage = (rows: AttemptWithMessage[], q: AttemptListQuery) => {
  const { page } = attemptListRequest(q);
  return listResponse(
    rows,
    page,
    (r) => r.id,
    (r) => toAttemptOut(r, q.with_content),
  );
};

export const withMsgQuery = {
  with_msg: queryBool(false).openapi({ type: "boolean", description: "Include the message" }),
};
