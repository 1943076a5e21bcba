import type { App } from "../../types";
import { registerCreateMessage } from "./create";
import { registerExpungeMessageContent } from "./expunge-content";
import { registerGetMessage } from "./get";
import { registerListMessages } from "./list";

export function registerMessageRoutes(app: App) {
  registerListMessages(app);
  registerCreateMessage(app);
  registerGetMessage(app);
  registerExpungeMessageContent(app);
}
