// The event catalog: every event type with its description, schema and an example payload.

import { examplePayload, latestSchema } from "./schema-example";
import type { EventTypeOut } from "./types";
import { pretty } from "./ui";

export function Catalog(props: { eventTypes: EventTypeOut[]; loading: boolean }) {
  return (
    <section>
      <h1>Event catalog</h1>
      {props.loading && <p>Loading…</p>}
      {!props.loading && props.eventTypes.length === 0 && <p>No event types are defined yet.</p>}
      {props.eventTypes.map((t) => {
        const schema = latestSchema(t.schemas);
        return (
          <article class="card" key={t.name}>
            <h2>{t.name}</h2>
            {t.deprecated && <p class="badge">Deprecated</p>}
            <p>{t.description || "No description."}</p>
            {schema ? (
              <>
                <h3>Schema</h3>
                <section aria-label={`Schema of ${t.name}`}>
                  <pre>{pretty(schema)}</pre>
                </section>
                <h3>Example payload</h3>
                <section aria-label={`Example payload of ${t.name}`}>
                  <pre>{pretty(examplePayload(t.schemas))}</pre>
                </section>
              </>
            ) : (
              <p>No schema.</p>
            )}
          </article>
        );
      })}
    </section>
  );
}
