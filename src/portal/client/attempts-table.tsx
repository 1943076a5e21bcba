// The table of delivery attempts the endpoint page and the message page share: status, code,
// duration and time, then the columns each page adds (the message, or the response and URL).

import type { Child } from "hono/jsx/dom";
import type { AttemptOut } from "./types";
import { formatTime, statusName } from "./ui";

export interface AttemptColumn {
  title: string;
  class?: string;
  cell: (a: AttemptOut) => Child;
}

export function AttemptsTable(props: { label: string; attempts: AttemptOut[]; columns: AttemptColumn[] }) {
  return (
    <div class="table-wrap">
      <table aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Code</th>
            <th scope="col">Duration</th>
            <th scope="col">Time</th>
            {props.columns.map((c) => (
              <th key={c.title} scope="col">
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.attempts.map((a) => (
            <tr key={a.id}>
              <td>
                <span class={a.status === 0 ? "badge ok" : "badge bad"}>{statusName(a.status)}</span>
              </td>
              <td>{a.responseStatusCode}</td>
              <td>{a.responseDurationMs} ms</td>
              <td>{formatTime(a.timestamp)}</td>
              {props.columns.map((c) => (
                <td key={c.title} class={c.class}>
                  {c.cell(a)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
