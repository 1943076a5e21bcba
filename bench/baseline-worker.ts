// The benchmark's baseline: a bare Hono worker under the same wrangler and workerd as Edgehook,
// answering every POST with 202 and storing nothing. Ingest throughput is reported as a ratio
// to this figure, measured in the same run, so machine noise cancels out.
import { Hono } from "hono";

const app = new Hono();

app.get("/health", (c) => c.body(null, 204));
app.post("*", (c) => c.body(null, 202));

export default app;
