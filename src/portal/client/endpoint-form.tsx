// The endpoint fields shared by the create and edit forms: URL, description, rate limit, the
// event-type picker (with descriptions and example payloads) and channels.

import { examplePayload } from "./schema-example";
import type { EndpointOut, EventTypeOut } from "./types";
import { pretty } from "./ui";

export interface EndpointFields {
  url: string;
  description: string;
  throttleRate: number | null;
  eventTypes: string[];
  channels: string[];
}

/** The form's values; a rate limit that is not a positive whole number is left to the API to refuse. */
export function readEndpointForm(form: HTMLFormElement): EndpointFields {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? "").trim();
  const rate = text("throttleRate");
  return {
    url: text("url"),
    description: text("description"),
    throttleRate: rate === "" ? null : Number(rate),
    eventTypes: data.getAll("eventTypes").map(String),
    channels: text("channels")
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
  };
}

export function EndpointFieldset(props: {
  idPrefix: string;
  eventTypes: EventTypeOut[];
  endpoint?: EndpointOut;
}) {
  const { idPrefix: p, endpoint: ep } = props;
  const chosen = new Set(ep?.eventTypes ?? []);
  return (
    <>
      <div class="field">
        <label for={`${p}-url`}>Endpoint URL</label>
        <input id={`${p}-url`} name="url" type="url" required value={ep?.url ?? ""} placeholder="https://" />
      </div>
      <div class="field">
        <label for={`${p}-description`}>Description</label>
        <input id={`${p}-description`} name="description" type="text" value={ep?.description ?? ""} />
      </div>
      <div class="field">
        <label for={`${p}-rate`}>Rate limit (per second)</label>
        <input
          id={`${p}-rate`}
          name="throttleRate"
          type="number"
          min="1"
          step="1"
          value={ep?.throttleRate ?? ""}
          aria-describedby={`${p}-rate-help`}
        />
        <small id={`${p}-rate-help`}>Empty: no limit.</small>
      </div>
      <fieldset class="event-types">
        <legend>Event types</legend>
        <p class="hint">None selected: every event type.</p>
        {props.eventTypes.length === 0 && <p>No event types are defined yet.</p>}
        {props.eventTypes.map((t) => (
          <div class="event-type" key={t.name}>
            <input
              type="checkbox"
              id={`${p}-et-${t.name}`}
              name="eventTypes"
              value={t.name}
              checked={chosen.has(t.name)}
            />
            <label for={`${p}-et-${t.name}`}>{t.name}</label>
            {t.description && <p class="hint">{t.description}</p>}
            {t.schemas && Object.keys(t.schemas).length > 0 && (
              <details>
                <summary>Example payload</summary>
                <pre>{pretty(examplePayload(t.schemas))}</pre>
              </details>
            )}
          </div>
        ))}
      </fieldset>
      <div class="field">
        <label for={`${p}-channels`}>Channels</label>
        <input
          id={`${p}-channels`}
          name="channels"
          type="text"
          value={(ep?.channels ?? []).join(", ")}
          aria-describedby={`${p}-channels-help`}
        />
        <small id={`${p}-channels-help`}>Comma-separated. Empty: every channel.</small>
      </div>
    </>
  );
}
