// One endpoint: its health, enable/disable/delete, the edit form, secret, headers, test
// events and attempts, the delivery chart and recovery.

import { useState } from "hono/jsx/dom";
import { appPath, can, get, request } from "./api";
import { DeliveryChart } from "./chart-view";
import { AttemptsPanel } from "./endpoint-attempts";
import { HeadersPanel, RecoverPanel } from "./endpoint-extras";
import { EndpointFieldset, readEndpointForm } from "./endpoint-form";
import { SecretPanel } from "./endpoint-secret";
import { Health, lastSuccess } from "./endpoints";
import type { EndpointOut, EventTypeOut } from "./types";
import { ConfirmDialog, ErrorAlert, formatTime, type Go, useLoad } from "./ui";

async function loadEndpoint(id: string) {
  const [endpoint, last] = await Promise.all([
    get<EndpointOut>(appPath(`/endpoint/${encodeURIComponent(id)}`)),
    lastSuccess(id).catch(() => null),
  ]);
  return { endpoint, last };
}

export function EndpointDetail(props: { id: string; go: Go; eventTypes: EventTypeOut[] }) {
  const loaded = useLoad(() => loadEndpoint(props.id), [props.id]);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [deleting, setDeleting] = useState(false);
  const path = appPath(`/endpoint/${encodeURIComponent(props.id)}`);

  const act = async (method: string, body: unknown, done: string) => {
    try {
      await request(method, path, body);
      setError(null);
      setNote(done);
      if (method === "DELETE") props.go({ name: "endpoints" });
      else loaded.reload();
    } catch (e) {
      setError(e);
    }
  };
  const save = (e: Event) => {
    e.preventDefault();
    const f = readEndpointForm(e.currentTarget as HTMLFormElement);
    // PATCH: an empty list means every event type / channel; a null rate limit removes the limit.
    act("PATCH", { ...f }, "Changes saved.");
  };

  if (loaded.error && !loaded.data) return <ErrorAlert error={loaded.error} />;
  if (!loaded.data) return <p>Loading…</p>;
  const { endpoint: ep, last } = loaded.data;
  return (
    <section>
      <h1 class="url">{ep.url}</h1>
      <p>{ep.description}</p>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Health endpoint={ep} />
        </dd>
        <dt>Last success</dt>
        <dd>{formatTime(last)}</dd>
        <dt>Failing since</dt>
        <dd>{ep.failingSince ? formatTime(ep.failingSince) : "not failing"}</dd>
        <dt>Endpoint id</dt>
        <dd>
          <code>{ep.id}</code>
        </dd>
      </dl>
      {can("manageEndpoints") && (
        <div class="actions">
          {ep.disabled ? (
            <button type="button" onClick={() => act("PATCH", { disabled: false }, "Endpoint enabled.")}>
              Enable endpoint
            </button>
          ) : (
            <button type="button" onClick={() => act("PATCH", { disabled: true }, "Endpoint disabled.")}>
              Disable endpoint
            </button>
          )}
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            Delete endpoint
          </button>
        </div>
      )}
      <p aria-live="polite">{note}</p>
      <ErrorAlert error={error} />
      {can("manageEndpoints") && (
        <ConfirmDialog
          open={deleting}
          title="Delete this endpoint?"
          text={`${ep.url} will receive no more webhooks. This cannot be undone.`}
          confirmLabel="Delete"
          onConfirm={() => {
            setDeleting(false);
            act("DELETE", undefined, "Endpoint deleted.");
          }}
          onClose={() => setDeleting(false)}
        />
      )}
      <DeliveryChart endpointId={ep.id} />
      <AttemptsPanel endpointId={ep.id} eventTypes={props.eventTypes} go={props.go} />
      {can("viewSecret") && <SecretPanel endpointId={ep.id} />}
      {can("manageEndpoints") && (
        <form class="card" onSubmit={save} aria-label="Edit endpoint" noValidate>
          <h2>Edit endpoint</h2>
          <EndpointFieldset idPrefix="edit" eventTypes={props.eventTypes} endpoint={ep} />
          <button type="submit" class="primary">
            Save changes
          </button>
        </form>
      )}
      <HeadersPanel endpointId={ep.id} />
      {can("createAttempts") && <RecoverPanel endpointId={ep.id} />}
    </section>
  );
}
