import { createApp } from "./app";

export { EndpointState } from "./endpoint-state/endpoint-state";

const app = createApp();

// The Worker entry is the one default export the platform requires.
export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
