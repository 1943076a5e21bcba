import type { App } from "../../types";
import { registerCreateEndpoint } from "./create";
import { registerDeleteEndpoint } from "./delete";
import { registerGetEndpoint } from "./get";
import { registerGetEndpointHeaders } from "./headers-get";
import { registerPatchEndpointHeaders } from "./headers-patch";
import { registerUpdateEndpointHeaders } from "./headers-update";
import { registerListEndpoints } from "./list";
import { registerPatchEndpoint } from "./patch";
import { registerGetEndpointSecret } from "./secret-get";
import { registerRotateEndpointSecret } from "./secret-rotate";
import { registerUpdateEndpoint } from "./update";

// The endpoint management routes. recover, send-example, stats and the endpoint's message
// and attempt listings live beside these (recover.ts, send-example.ts, stats.ts,
// messages.ts) and register themselves.
export function registerEndpointRoutes(app: App) {
  registerListEndpoints(app);
  registerCreateEndpoint(app);
  registerGetEndpoint(app);
  registerUpdateEndpoint(app);
  registerPatchEndpoint(app);
  registerDeleteEndpoint(app);
  registerGetEndpointSecret(app);
  registerRotateEndpointSecret(app);
  registerGetEndpointHeaders(app);
  registerUpdateEndpointHeaders(app);
  registerPatchEndpointHeaders(app);
}
