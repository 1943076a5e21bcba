import { getConfig } from "../config";
import type { OperationalJob, QueueJob } from "../queue/jobs";
import { checkDestinationUrl } from "../security/url-guard";
import { classifyResponse } from "./classify";
import { MAX_CONNECTIONS, mapPool } from "./pool";
import { nextRetryDelay, splitDelay } from "./retry";
import { sendWebhook } from "./send";
import type { QueueResult } from "./settle";
import { webhookHeaders } from "./sign";

// Operational webhooks go to OPERATIONAL_WEBHOOK_URL with the same signing, sending,
// classification and retry schedule as deliveries, but leave no rows in D1 and involve no
// Durable Object: they are the operator's own notifications.
export async function operationalResults(
  env: Env,
  items: { msg: Message<QueueJob>; job: OperationalJob }[],
): Promise<QueueResult[]> {
  const config = getConfig(env);
  const base = (msg: Message<QueueJob>, job: OperationalJob): QueueResult => ({
    msg,
    job,
    next: { kind: "ack" },
  });
  const url = config.operationalWebhookUrl;
  if (!url || !env.OPERATIONAL_WEBHOOK_SECRET) return items.map(({ msg, job }) => base(msg, job));
  const check = checkDestinationUrl(url, config);
  if (!check.ok) {
    console.error("operational webhook URL refused", check.reason);
    return items.map(({ msg, job }) => base(msg, job));
  }
  return mapPool(items, MAX_CONNECTIONS, async ({ msg, job }) => {
    const now = Date.now();
    if (job.notBefore !== undefined && job.notBefore > now + 1000) {
      return { ...base(msg, job), next: { kind: "defer", delaySeconds: (job.notBefore - now) / 1000 } };
    }
    const headers = await webhookHeaders({
      secrets: [env.OPERATIONAL_WEBHOOK_SECRET],
      msgId: job.id,
      timestampSeconds: Math.floor(now / 1000),
      body: job.payload,
    });
    const sent = await sendWebhook({ url, body: job.payload, headers, timeoutMs: config.deliveryTimeoutMs });
    const outcome = classifyResponse(sent);
    if (outcome.kind === "success") return base(msg, job);
    const delay =
      outcome.kind === "gone"
        ? null
        : nextRetryDelay(
            config.retryScheduleSeconds,
            job.attempt + 1,
            outcome.kind === "throttled" ? outcome.retryAfterSeconds : null,
          );
    if (delay === null) {
      console.error("operational webhook dropped after its last attempt", job.eventType, sent.status);
      return base(msg, job);
    }
    const split = splitDelay(delay, Date.now());
    const next: OperationalJob = { ...job, attempt: job.attempt + 1 };
    delete next.notBefore;
    if (split.notBefore !== undefined) next.notBefore = split.notBefore;
    return { ...base(msg, job), next: { kind: "follow", job: next, delaySeconds: split.delaySeconds } };
  });
}
