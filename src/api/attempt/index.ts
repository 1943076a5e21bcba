import type { App } from "../../types";
import { registerListAttemptedDestinations } from "./destinations";
import { registerExpungeAttemptContent } from "./expunge-content";
import { registerGetAttempt } from "./get";
import { registerListAttemptsByEndpoint } from "./list-by-endpoint";
import { registerListAttemptsByMsg } from "./list-by-msg";
import { registerResendMessage } from "./resend";

export function registerAttemptRoutes(app: App) {
  registerListAttemptsByEndpoint(app);
  registerListAttemptsByMsg(app);
  registerGetAttempt(app);
  registerListAttemptedDestinations(app);
  registerResendMessage(app);
  registerExpungeAttemptContent(app);
}
