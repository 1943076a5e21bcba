// Entry point: `node main.mjs` (README.md). Reads the environment, starts the server, and
// stops it cleanly on SIGTERM/SIGINT so that deliveries in flight finish.

import { loadConfig } from "./src/config.mjs";
import { createRelay } from "./src/server.mjs";

const config = loadConfig();
const server = createRelay(config);
server.listen(config.listenPort, config.listenHost, () => {
  const { port } = server.address();
  config.log({
    time: new Date().toISOString(),
    event: "listening",
    port,
    tls: Boolean(config.tls),
    allowPrivate: config.allowPrivate,
    allowedPorts: [80, 443, ...config.allowedPorts],
  });
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
