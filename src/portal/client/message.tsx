// One message: its payload, every attempt with its response, and a resend per endpoint.

import { useState } from "hono/jsx/dom";
import { appPath, can, get, getAll, request } from "./api";
import { AttemptsTable } from "./attempts-table";
import type { AttemptOut, DestinationOut, MessageOut } from "./types";
import { ErrorAlert, formatTime, type Go, pretty, statusName, useLoad, ViewLink } from "./ui";

async function loadMessage(id: string) {
  const m = encodeURIComponent(id);
  const [message, attempts, destinations] = await Promise.all([
    get<MessageOut>(appPath(`/msg/${m}?with_content=true`)),
    getAll<AttemptOut>(appPath(`/attempt/msg/${m}?with_content=true`), 2),
    getAll<DestinationOut>(appPath(`/msg/${m}/endpoint`), 2),
  ]);
  return { message, attempts, destinations };
}

export function MessagePage(props: { id: string; go: Go }) {
  const loaded = useLoad(() => loadMessage(props.id), [props.id]);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");

  const resend = async (endpoint: DestinationOut) => {
    const path = `/msg/${encodeURIComponent(props.id)}/endpoint/${encodeURIComponent(endpoint.id)}/resend`;
    try {
      await request("POST", appPath(path), {});
      setError(null);
      setNote(`Resent to ${endpoint.url}.`);
      setTimeout(loaded.reload, 1500);
    } catch (e) {
      setError(e);
    }
  };

  if (loaded.error && !loaded.data) return <ErrorAlert error={loaded.error} />;
  if (!loaded.data) return <p>Loading…</p>;
  const { message, attempts, destinations } = loaded.data;
  return (
    <section>
      <h1>Message {message.id}</h1>
      <dl class="facts">
        <dt>Event type</dt>
        <dd>{message.eventType}</dd>
        <dt>Created</dt>
        <dd>{formatTime(message.timestamp)}</dd>
        {message.eventId && (
          <>
            <dt>Event id</dt>
            <dd>{message.eventId}</dd>
          </>
        )}
      </dl>
      <h2>Payload</h2>
      <section aria-label="Payload">
        <pre>{pretty(message.payload)}</pre>
      </section>
      <section class="card">
        <h2>Endpoints</h2>
        <p aria-live="polite">{note}</p>
        <ErrorAlert error={error} />
        {destinations.length === 0 && <p>This message went to no endpoint.</p>}
        <ul class="destinations">
          {destinations.map((d) => (
            <li key={d.id}>
              <ViewLink go={props.go} view={{ name: "endpoint", id: d.id }}>
                {d.url}
              </ViewLink>{" "}
              <span class="badge">{statusName(d.status)}</span>{" "}
              {can("createAttempts") && (
                <button type="button" onClick={() => resend(d)}>
                  Resend
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section class="card">
        <div class="heading-row">
          <h2>Attempts</h2>
          <button type="button" onClick={loaded.reload}>
            Refresh
          </button>
        </div>
        <AttemptsTable
          label="Attempts"
          attempts={attempts}
          columns={[
            { title: "Response", cell: (a) => <pre class="response">{a.response}</pre> },
            { title: "Endpoint", class: "url", cell: (a) => a.url },
          ]}
        />
      </section>
    </section>
  );
}
