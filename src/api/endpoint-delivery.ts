import type { App } from "../app";
import { registerMessageRoutes } from "./message";

// The delivery side of the API: messages, attempts, and the endpoint operations that read or
// replay deliveries (recover, send-example, stats, messages). Endpoint management lives in
// ./endpoint/index.ts.
export function registerDeliveryRoutes(app: App) {
  registerMessageRoutes(app);
}
