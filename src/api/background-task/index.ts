import type { App } from "../../types";
import { registerGetBackgroundTask } from "./get";
import { registerListBackgroundTasks } from "./list";

export function registerBackgroundTaskRoutes(app: App) {
  registerListBackgroundTasks(app);
  registerGetBackgroundTask(app);
}
