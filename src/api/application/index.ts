import type { App } from "../../types";
import { registerCreateApplication } from "./create";
import { registerDeleteApplication } from "./delete";
import { registerGetApplication } from "./get";
import { registerListApplications } from "./list";
import { registerPatchApplication } from "./patch";
import { registerUpdateApplication } from "./update";

export function registerApplicationRoutes(app: App) {
  registerListApplications(app);
  registerCreateApplication(app);
  registerGetApplication(app);
  registerUpdateApplication(app);
  registerPatchApplication(app);
  registerDeleteApplication(app);
}
