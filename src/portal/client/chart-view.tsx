// The delivery chart: successes and failures per hour as inline SVG (no chart service, no
// library). A 404 from the stats route (an older worker) shows "No data".

import { useState } from "hono/jsx/dom";
import { ApiFailure, appPath, get, query } from "./api";
import { chartGeometry, type HourCount } from "./chart";
import { ErrorAlert, useLoad } from "./ui";

const WIDTH = 720;
const HEIGHT = 160;
const RANGES = { day: { label: "24 hours", hours: 24 }, week: { label: "7 days", hours: 168 } } as const;
type Range = keyof typeof RANGES;

interface Loaded {
  /** The range these counts cover: the label follows the data, not the button just pressed. */
  range: Range;
  hours: HourCount[] | null;
}

async function loadHours(endpointId: string, range: Range): Promise<Loaded> {
  const now = Date.now();
  const since = new Date(now - RANGES[range].hours * 3_600_000).toISOString();
  const path = appPath(`/endpoint/${encodeURIComponent(endpointId)}/stats/hourly`);
  try {
    const res = await get<{ data: HourCount[] }>(path + query({ since, until: new Date(now).toISOString() }));
    return { range, hours: res.data };
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return { range, hours: null };
    throw e;
  }
}

export function DeliveryChart(props: { endpointId: string }) {
  const [range, setRange] = useState<Range>("day");
  const hours = useLoad(() => loadHours(props.endpointId, range), [props.endpointId, range]);
  const data = hours.data?.hours ?? null;
  const g = data ? chartGeometry(data, WIDTH, HEIGHT) : null;
  const label = RANGES[hours.data?.range ?? range].label;
  return (
    <section class="card">
      <div class="heading-row">
        <h2>Deliveries</h2>
        <div class="toggle">
          {/* aria-pressed as a string: hono/jsx renders `true` as an empty attribute, which is not pressed. */}
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button
              type="button"
              key={r}
              aria-pressed={r === range ? "true" : "false"}
              onClick={() => setRange(r)}
            >
              {RANGES[r].label}
            </button>
          ))}
        </div>
      </div>
      <ErrorAlert error={hours.error} />
      {!hours.loading && !hours.error && !g && <p>No data</p>}
      {g && (
        <figure class="chart">
          <svg
            role="img"
            aria-label={`Deliveries per hour, last ${label}: ${g.totalSuccess} succeeded, ${g.totalFail} failed`}
            viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
            preserveAspectRatio="none"
          >
            <line class="axis" x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} />
            {g.bars.map((b) => (
              <g key={b.hour}>
                <title>{`${new Date(b.hour).toLocaleString()}: ${b.success} succeeded, ${b.fail} failed`}</title>
                {b.successHeight > 0 && (
                  <rect class="ok" x={b.x} y={b.successY} width={b.width} height={b.successHeight} />
                )}
                {b.failHeight > 0 && (
                  <rect class="bad" x={b.x} y={b.failY} width={b.width} height={b.failHeight} />
                )}
              </g>
            ))}
          </svg>
          <figcaption>
            {g.bars.length > 0 &&
              `${new Date(g.bars[0]?.hour ?? "").toLocaleString()} to ${new Date(g.bars.at(-1)?.hour ?? "").toLocaleString()}. `}
            {g.totalSuccess + g.totalFail === 0
              ? "No deliveries in this period. "
              : `${g.totalSuccess} succeeded, ${g.totalFail} failed; up to ${g.max} per hour. `}{" "}
            <span class="key ok">Succeeded</span> <span class="key bad">Failed</span>
          </figcaption>
        </figure>
      )}
    </section>
  );
}
