import type { App } from "../../types";
import { registerAppPortalAccess } from "./app-portal-access";
import { registerExpireAll } from "./expire-all";
import { registerLogout } from "./logout";

export function registerAuthRoutes(app: App) {
  registerAppPortalAccess(app);
  registerLogout(app);
  registerExpireAll(app);
}
