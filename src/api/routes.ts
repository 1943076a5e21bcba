import type { App } from "../types";
import { registerApplicationRoutes } from "./application";
import { registerAuthRoutes } from "./auth";
import { registerBackgroundTaskRoutes } from "./background-task";
import { registerEgressIps } from "./egress/get";
import { registerEndpointRoutes } from "./endpoint";
import { registerDeliveryRoutes } from "./endpoint-delivery";
import { registerEventTypeRoutes } from "./event-type";
import { registerHealth } from "./health/get";

// One line per resource; each resource folder registers its own operations.
export function registerRoutes(app: App) {
  registerHealth(app);
  registerEgressIps(app);
  registerApplicationRoutes(app);
  registerEventTypeRoutes(app);
  registerEndpointRoutes(app);
  registerDeliveryRoutes(app);
  registerBackgroundTaskRoutes(app);
  registerAuthRoutes(app);
}
