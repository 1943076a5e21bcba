import {
  type AppThrottle,
  applicationsByIds,
  attemptedDeliveries,
  chunk,
  type EndpointRow,
  endpointsByIds,
  expungedMessages,
  MAX_BINDS,
  type PayloadRow,
  payloadsByIds,
} from "../db/delivery-reads";
import type { DeliveryJob } from "./jobs";

// Everything the consumer needs from D1 for one queue batch, read in ONE D1 batch: the
// endpoints (by primary key), their applications' throttle rates, the payloads that were too
// large to travel inline, and which first attempts were already made (a sweeper re-enqueue
// racing the original job), and which inline payloads were expunged since the job was queued.
export interface BatchData {
  endpoints: Map<string, EndpointRow>;
  apps: Map<string, AppThrottle>;
  payloads: Map<string, PayloadRow>;
  attempted: Set<string>;
  /** messageKey of messages whose payload is gone (expunged or past retention). */
  expunged: Set<string>;
}

export const endpointKey = (appId: string, endpointId: string) => `${appId}/${endpointId}`;
export const messageKey = (appId: string, msgId: string) => `${appId}/${msgId}`;
export const deliveryKey = (appId: string, msgId: string, endpointId: string) =>
  `${appId}/${msgId}/${endpointId}`;

/** A first scheduled attempt: the only kind of job the sweeper may have duplicated. */
export const isFirstScheduled = (job: DeliveryJob) => job.trigger === 0 && job.attempt === 0;

export async function loadBatchData(db: D1Database, jobs: readonly DeliveryJob[]): Promise<BatchData> {
  const byApp = new Map<
    string,
    { endpoints: Set<string>; payloads: Set<string>; inline: Set<string>; firsts: Set<string> }
  >();
  for (const job of jobs) {
    let app = byApp.get(job.appId);
    if (!app) {
      app = { endpoints: new Set(), payloads: new Set(), inline: new Set(), firsts: new Set() };
      byApp.set(job.appId, app);
    }
    app.endpoints.add(job.endpointId);
    if (job.payload === undefined) app.payloads.add(job.msgId);
    else app.inline.add(job.msgId);
    if (isFirstScheduled(job)) app.firsts.add(job.msgId);
  }
  const statements: {
    kind: "ep" | "app" | "payload" | "attempted" | "expunged";
    appId: string;
    stmt: D1PreparedStatement;
  }[] = [];
  for (const [appId, want] of byApp) {
    for (const ids of chunk([...want.endpoints], MAX_BINDS - 1)) {
      statements.push({ kind: "ep", appId, stmt: endpointsByIds(db, appId, ids) });
    }
    for (const ids of chunk([...want.payloads], MAX_BINDS - 1)) {
      statements.push({ kind: "payload", appId, stmt: payloadsByIds(db, appId, ids) });
    }
    for (const ids of chunk([...want.inline], MAX_BINDS - 1)) {
      statements.push({ kind: "expunged", appId, stmt: expungedMessages(db, appId, ids) });
    }
    for (const ids of chunk([...want.firsts], MAX_BINDS - 1)) {
      statements.push({ kind: "attempted", appId, stmt: attemptedDeliveries(db, appId, ids) });
    }
  }
  for (const ids of chunk([...byApp.keys()], MAX_BINDS)) {
    statements.push({ kind: "app", appId: "", stmt: applicationsByIds(db, ids) });
  }
  const data: BatchData = {
    endpoints: new Map(),
    apps: new Map(),
    payloads: new Map(),
    attempted: new Set(),
    expunged: new Set(),
  };
  if (statements.length === 0) return data;
  const results = await db.batch<Record<string, unknown>>(statements.map((s) => s.stmt));
  statements.forEach(({ kind, appId }, i) => {
    const rows = results[i]?.results ?? [];
    for (const row of rows) {
      if (kind === "ep") {
        const ep = row as unknown as EndpointRow;
        data.endpoints.set(endpointKey(appId, ep.id), ep);
      } else if (kind === "payload") {
        const msg = row as unknown as PayloadRow;
        data.payloads.set(messageKey(appId, msg.id), msg);
      } else if (kind === "expunged") {
        data.expunged.add(messageKey(appId, (row as { id: string }).id));
      } else if (kind === "attempted") {
        const a = row as { msg_id: string; endpoint_id: string };
        data.attempted.add(deliveryKey(appId, a.msg_id, a.endpoint_id));
      } else {
        const app = row as unknown as AppThrottle;
        data.apps.set(app.id, app);
      }
    }
  });
  return data;
}
