import { createApp } from "./app";
import { getConfig } from "./config";
import { handleDeliveryBatch } from "./delivery/consumer";
import { handleDeadLetters } from "./delivery/dead-letter";
import type { QueueJob } from "./queue/jobs";
import { cleanupExpiredPortalTokens } from "./services/portal-tokens";
import { reencryptEndpointSecrets } from "./services/secret-reencryption";

export { EndpointState } from "./endpoint-state/endpoint-state";
export { AppLog } from "./log/app-log";

const app = createApp();

// The Worker entry is the one default export the platform requires.
export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    // DEAD_LETTER_QUEUE names the queue wrangler.toml gives as dead_letter_queue.
    if (batch.queue === getConfig(env).deadLetterQueue) await handleDeadLetters(batch, env);
    else await handleDeliveryBatch(batch, env);
  },
  // The Cron Trigger (wrangler.toml): moves endpoint ciphertexts to the newest encryption key
  // and deletes a batch of expired app-portal tokens.
  async scheduled(_controller, env, _ctx) {
    // Both run to the end even if the other fails (Promise.all would return at the first
    // failure, and the runtime may cancel what is still running); then a failure is reported.
    const results = await Promise.allSettled([
      reencryptEndpointSecrets(env),
      cleanupExpiredPortalTokens(env),
    ]);
    for (const r of results) if (r.status === "rejected") throw r.reason;
  },
} satisfies ExportedHandler<Env, QueueJob>;
