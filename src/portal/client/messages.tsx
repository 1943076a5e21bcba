// The message log with filters. A delivery's status belongs to an endpoint, so a status
// filter reads each endpoint's message list (all of them when no endpoint is chosen).

import { useState } from "hono/jsx/dom";
import { appPath, get, getAll, type ListResponse, query } from "./api";
import type { EndpointOut, EventTypeOut, MessageOut } from "./types";
import { ErrorAlert, formatTime, type Go, localToIso, statusName, useLoad, ViewLink } from "./ui";

interface Filters {
  eventType: string;
  status: string;
  endpoint: string;
  since?: string;
  until?: string;
}

const PAGE = 50;

async function loadMessages(f: Filters, endpoints: EndpointOut[]): Promise<MessageOut[]> {
  const params = {
    event_types: f.eventType,
    after: f.since,
    before: f.until,
    with_content: "false",
    limit: PAGE,
  };
  if (!f.endpoint && !f.status) {
    return (await get<ListResponse<MessageOut>>(appPath(`/msg${query(params)}`))).data;
  }
  const ids = f.endpoint ? [f.endpoint] : endpoints.map((e) => e.id);
  const pages = await Promise.all(
    ids.map((id) =>
      get<ListResponse<MessageOut>>(
        appPath(`/endpoint/${encodeURIComponent(id)}/msg${query({ ...params, status: f.status })}`),
      ),
    ),
  );
  // Newest first across endpoints; a message sent to two endpoints shows once per status.
  const seen = new Set<string>();
  return pages
    .flatMap((p) => p.data)
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
    .filter((m) => {
      const key = `${m.id}:${m.status}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, PAGE);
}

export function Messages(props: { go: Go; eventTypes: EventTypeOut[] }) {
  const endpoints = useLoad(() => getAll<EndpointOut>(appPath("/endpoint")), []);
  const [filters, setFilters] = useState<Filters>({ eventType: "", status: "", endpoint: "" });
  const messages = useLoad(
    () => (endpoints.data ? loadMessages(filters, endpoints.data) : Promise.resolve(undefined)),
    [filters, endpoints.data],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? "");
    setFilters({
      eventType: text("eventType"),
      status: text("status"),
      endpoint: text("endpoint"),
      since: localToIso(text("since")),
      until: localToIso(text("until")),
    });
  };
  const rows = messages.data ?? [];
  const withStatus = filters.endpoint !== "" || filters.status !== "";

  return (
    <section>
      <h1>Messages</h1>
      <form class="filters card" onSubmit={apply} aria-label="Filters">
        <div class="field">
          <label for="f-event-type">Event type</label>
          <select id="f-event-type" name="eventType">
            <option value="">Any</option>
            {props.eventTypes.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            <option value="0">Succeeded</option>
            <option value="1">Pending</option>
            <option value="2">Failed</option>
            <option value="3">Sending</option>
          </select>
        </div>
        <div class="field">
          <label for="f-endpoint">Endpoint</label>
          <select id="f-endpoint" name="endpoint">
            <option value="">Any</option>
            {(endpoints.data ?? []).map((ep) => (
              <option key={ep.id} value={ep.id}>
                {ep.url}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-since">Since</label>
          <input id="f-since" name="since" type="datetime-local" step="1" />
        </div>
        <div class="field">
          <label for="f-until">Until</label>
          <input id="f-until" name="until" type="datetime-local" step="1" />
        </div>
        <button type="submit" class="primary">
          Apply filters
        </button>
      </form>
      <ErrorAlert error={endpoints.error ?? messages.error} />
      {messages.loading && <p>Loading…</p>}
      {!messages.loading && messages.data && rows.length === 0 && <p>No messages match.</p>}
      <div class="table-wrap">
        <table aria-label="Messages">
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Event type</th>
              <th scope="col">Time</th>
              {withStatus && <th scope="col">Status</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={`${m.id}:${m.status ?? ""}`}>
                <td>
                  <ViewLink go={props.go} view={{ name: "message", id: m.id }}>
                    {m.id}
                  </ViewLink>
                </td>
                <td>{m.eventType}</td>
                <td>{formatTime(m.timestamp)}</td>
                {withStatus && <td>{statusName(m.status)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === PAGE && (
        <p class="hint">Showing the newest {PAGE}: narrow the filters to see older ones.</p>
      )}
    </section>
  );
}
