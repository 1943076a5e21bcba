import type { App } from "../types";
import { registerAttemptRoutes } from "./attempt";
import { registerListEndpointMessages } from "./endpoint/messages";
import { registerRecoverEndpoint } from "./endpoint/recover";
import { registerSendExample } from "./endpoint/send-example";
import { registerEndpointHourlyStats, registerEndpointStats } from "./endpoint/stats";
import { registerMessageRoutes } from "./message";

// The delivery side of the API: messages, attempts, and the endpoint operations that read or
// replay deliveries (recover, send-example, stats, messages). Endpoint management itself is
// registered by ./endpoint/index.ts.
export function registerDeliveryRoutes(app: App) {
  registerMessageRoutes(app);
  registerAttemptRoutes(app);
  registerRecoverEndpoint(app);
  registerSendExample(app);
  registerEndpointStats(app);
  registerEndpointHourlyStats(app);
  registerListEndpointMessages(app);
}
