// The endpoints page: the list with each endpoint's health, and the form that adds one.

import { useState } from "hono/jsx/dom";
import type { ListResponse } from "./api";
import { appPath, can, get, getAll, request } from "./api";
import { EndpointFieldset, readEndpointForm } from "./endpoint-form";
import type { AttemptOut, EndpointOut, EventTypeOut } from "./types";
import { ErrorAlert, formatTime, type Go, useLoad, ViewLink } from "./ui";

interface Row {
  endpoint: EndpointOut;
  lastSuccess: string | null;
}

/** The newest successful attempt's time (attempts are listed newest first). */
export async function lastSuccess(endpointId: string): Promise<string | null> {
  const page = await get<ListResponse<AttemptOut>>(
    appPath(`/attempt/endpoint/${encodeURIComponent(endpointId)}?status=0&limit=1&with_content=false`),
  );
  return page.data[0]?.timestamp ?? null;
}

async function loadRows(): Promise<Row[]> {
  const endpoints = await getAll<EndpointOut>(appPath("/endpoint"));
  return Promise.all(
    endpoints.map(async (endpoint) => ({
      endpoint,
      lastSuccess: await lastSuccess(endpoint.id).catch(() => null),
    })),
  );
}

export function Health(props: { endpoint: EndpointOut }) {
  const ep = props.endpoint;
  if (ep.disabled) {
    return <span class="badge bad">Disabled{ep.disabledReason ? `: ${ep.disabledReason}` : ""}</span>;
  }
  if (ep.failingSince) return <span class="badge warn">Failing since {formatTime(ep.failingSince)}</span>;
  return <span class="badge ok">Enabled</span>;
}

export function Endpoints(props: { go: Go; eventTypes: EventTypeOut[] }) {
  const rows = useLoad(loadRows, []);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: Event) => {
    e.preventDefault();
    const f = readEndpointForm(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      const created = await request<EndpointOut>("POST", appPath("/endpoint"), {
        url: f.url,
        description: f.description,
        throttleRate: f.throttleRate,
        eventTypes: f.eventTypes.length > 0 ? f.eventTypes : null,
        channels: f.channels.length > 0 ? f.channels : null,
      });
      setError(null);
      setAdding(false);
      props.go({ name: "endpoint", id: created.id });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <div class="heading-row">
        <h1>Endpoints</h1>
        {!adding && can("manageEndpoints") && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add endpoint
          </button>
        )}
      </div>
      {adding && (
        <form class="card" onSubmit={create} aria-label="New endpoint" noValidate>
          <h2>New endpoint</h2>
          <EndpointFieldset idPrefix="new" eventTypes={props.eventTypes} />
          <ErrorAlert error={error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Create endpoint
            </button>
            <button type="button" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ErrorAlert error={rows.error} />
      {rows.loading && !rows.data && <p>Loading…</p>}
      {rows.data && rows.data.length === 0 && <p>No endpoints yet. Add one to start receiving webhooks.</p>}
      {rows.data && rows.data.length > 0 && (
        <div class="table-wrap">
          <table aria-label="Endpoints">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Health</th>
                <th scope="col">Last success</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.map(({ endpoint: ep, lastSuccess: last }) => (
                <tr key={ep.id}>
                  <td class="url">
                    <ViewLink go={props.go} view={{ name: "endpoint", id: ep.id }}>
                      {ep.url}
                    </ViewLink>
                  </td>
                  <td>
                    <Health endpoint={ep} />
                  </td>
                  <td>{formatTime(last)}</td>
                  <td>{ep.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
