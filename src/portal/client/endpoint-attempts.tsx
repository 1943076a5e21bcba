// Test events and the endpoint's delivery attempts: send an example of an event type, then
// poll the attempts until the new message's attempt appears.

import { useEffect, useRef, useState } from "hono/jsx/dom";
import { appPath, can, get, type ListResponse, request } from "./api";
import { AttemptsTable } from "./attempts-table";
import type { AttemptOut, EventTypeOut, MessageOut } from "./types";
import { ErrorAlert, type Go, useLoad, ViewLink } from "./ui";

const POLL_MS = 1500;
const POLL_TIMES = 20;

export function AttemptsPanel(props: { endpointId: string; eventTypes: EventTypeOut[]; go: Go }) {
  const id = encodeURIComponent(props.endpointId);
  const attempts = useLoad(
    () => get<ListResponse<AttemptOut>>(appPath(`/attempt/endpoint/${id}?limit=50&with_content=false`)),
    [props.endpointId],
  );
  const [error, setError] = useState<unknown>(null);
  const [waitingFor, setWaitingFor] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const polls = useRef(0);

  // While a test message has no attempt yet, reload the list every POLL_MS (a bounded number of times).
  const rows = attempts.data?.data ?? [];
  const arrived = waitingFor !== null && rows.some((a) => a.msgId === waitingFor);
  useEffect(() => {
    if (waitingFor === null) return;
    if (arrived || polls.current >= POLL_TIMES) {
      setNote(arrived ? "The test event's attempt is in the list." : "No attempt yet: press Refresh later.");
      setWaitingFor(null);
      return;
    }
    const timer = setTimeout(() => {
      polls.current++;
      attempts.reload();
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [waitingFor, arrived, attempts.data]);

  const send = async (e: Event) => {
    e.preventDefault();
    const eventType = String(new FormData(e.currentTarget as HTMLFormElement).get("eventType") ?? "");
    try {
      const msg = await request<MessageOut>("POST", appPath(`/endpoint/${id}/send-example`), { eventType });
      setError(null);
      setNote(`Test event ${msg.id} sent; waiting for its attempt…`);
      polls.current = 0;
      setWaitingFor(msg.id);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      {can("createAttempts") && (
        <section class="card">
          <h2>Send a test event</h2>
          <form class="inline" onSubmit={send}>
            <div class="field">
              <label for="test-event-type">Event type</label>
              <select id="test-event-type" name="eventType" required>
                {props.eventTypes.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" class="primary" disabled={props.eventTypes.length === 0}>
              Send test event
            </button>
          </form>
          <p aria-live="polite">{note}</p>
          <ErrorAlert error={error} />
        </section>
      )}
      <section class="card">
        <div class="heading-row">
          <h2>Delivery attempts</h2>
          <button type="button" onClick={attempts.reload}>
            Refresh
          </button>
        </div>
        <ErrorAlert error={attempts.error} />
        {attempts.data && rows.length === 0 && <p>No attempts yet.</p>}
        <AttemptsTable
          label="Delivery attempts"
          attempts={rows}
          columns={[
            {
              title: "Message",
              cell: (a) => (
                <ViewLink go={props.go} view={{ name: "message", id: a.msgId }}>
                  {a.msgId}
                </ViewLink>
              ),
            },
          ]}
        />
      </section>
    </>
  );
}
