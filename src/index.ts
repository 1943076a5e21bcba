import { createApp } from "./app";
import { handleDeliveryBatch } from "./delivery/consumer";
import { handleDeadLetters } from "./delivery/dead-letter";
import type { QueueJob } from "./delivery/jobs";
import { runScheduled } from "./scheduled";

export { EndpointState } from "./endpoint-state/endpoint-state";

const app = createApp();
const DEAD_LETTER_QUEUE = "edgehook-deliveries-dlq";

// The Worker entry is the one default export the platform requires.
export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue === DEAD_LETTER_QUEUE) await handleDeadLetters(batch, env);
    else await handleDeliveryBatch(batch, env);
  },
  async scheduled(controller, env, _ctx) {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, QueueJob>;
