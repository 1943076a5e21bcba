import type { App } from "../../types";
import { registerCreateEventType } from "./create";
import { registerDeleteEventType } from "./delete";
import { registerGetEventType } from "./get";
import { registerListEventTypes } from "./list";
import { registerPatchEventType } from "./patch";
import { registerUpdateEventType } from "./update";

export function registerEventTypeRoutes(app: App) {
  registerListEventTypes(app);
  registerCreateEventType(app);
  registerGetEventType(app);
  registerUpdateEventType(app);
  registerPatchEventType(app);
  registerDeleteEventType(app);
}
