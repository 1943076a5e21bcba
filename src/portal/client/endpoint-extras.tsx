// Custom headers (sensitive values stay masked: the API never returns them) and recovery of
// failed deliveries since a time, with the background task's progress.

import { useEffect, useState } from "hono/jsx/dom";
import { appPath, can, get, request } from "./api";
import type { BackgroundTaskOut, HeadersOut } from "./types";
import { ErrorAlert, localToIso, useLoad } from "./ui";

export function HeadersPanel(props: { endpointId: string }) {
  const path = appPath(`/endpoint/${encodeURIComponent(props.endpointId)}/headers`);
  const headers = useLoad(() => get<HeadersOut>(path), [props.endpointId]);
  const [error, setError] = useState<unknown>(null);

  const patch = async (changes: Record<string, string | null>) => {
    try {
      await request("PATCH", path, { headers: changes });
      setError(null);
      headers.reload();
    } catch (e) {
      setError(e);
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    patch({ [name]: String(data.get("value") ?? "") }).then(() => form.reset());
  };
  const plain = Object.entries(headers.data?.headers ?? {});
  const sensitive = headers.data?.sensitive ?? [];
  const manage = can("manageEndpoints");

  return (
    <section class="card">
      <h2>Custom headers</h2>
      <ErrorAlert error={headers.error} />
      {plain.length + sensitive.length === 0 && headers.data && <p>No custom headers.</p>}
      {plain.length + sensitive.length > 0 && (
        <table aria-label="Custom headers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              {manage && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {[
              ...plain.map(([n, v]) => [n, v, false] as const),
              ...sensitive.map((n) => [n, "", true] as const),
            ].map(([name, value, masked]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{masked ? <span class="masked">•••••• (sensitive, hidden)</span> : value}</td>
                {manage && (
                  <td>
                    <button
                      type="button"
                      aria-label={`Remove header ${name}`}
                      onClick={() => patch({ [name]: null })}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {manage && (
        <form class="inline" onSubmit={add}>
          <div class="field">
            <label for="header-name">Header name</label>
            <input id="header-name" name="name" type="text" required />
          </div>
          <div class="field">
            <label for="header-value">Header value</label>
            <input id="header-value" name="value" type="text" required />
          </div>
          <button type="submit">Save header</button>
        </form>
      )}
      <ErrorAlert error={error} />
    </section>
  );
}

const TASK_POLL_MS = 1000;

function taskSummary(task: BackgroundTaskOut): string {
  const counts = Object.entries(task.data ?? {})
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const state =
    task.status === "running"
      ? "Recovery in progress…"
      : task.status === "finished"
        ? "Recovery finished."
        : "Recovery failed.";
  return counts ? `${state} (${counts})` : state;
}

export function RecoverPanel(props: { endpointId: string }) {
  const [task, setTask] = useState<BackgroundTaskOut | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (task?.status !== "running") return;
    const timer = setTimeout(() => {
      get<BackgroundTaskOut>(`/api/v1/background-task/${encodeURIComponent(task.id)}`)
        .then(setTask)
        .catch(setError);
    }, TASK_POLL_MS);
    return () => clearTimeout(timer);
  }, [task]);

  const recover = async (e: Event) => {
    e.preventDefault();
    const since = localToIso(String(new FormData(e.currentTarget as HTMLFormElement).get("since") ?? ""));
    try {
      const started = await request<BackgroundTaskOut>(
        "POST",
        appPath(`/endpoint/${encodeURIComponent(props.endpointId)}/recover`),
        { since },
      );
      setError(null);
      setTask(started);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section class="card">
      <h2>Recover failed messages</h2>
      <p class="hint">
        Sends again every message that failed to reach this endpoint since the time you choose.
      </p>
      <form class="inline" onSubmit={recover}>
        <div class="field">
          <label for="recover-since">Recover failed since</label>
          <input id="recover-since" name="since" type="datetime-local" step="1" required />
        </div>
        <button type="submit">Recover</button>
      </form>
      <p role="status">{task ? taskSummary(task) : ""}</p>
      <ErrorAlert error={error} />
    </section>
  );
}
