import type { OpenAPIHono } from "@hono/zod-openapi";

// Types the app (src/app.ts) and the routes below it share; here, under both, so that no
// route imports from the app that mounts it.
export type AppEnv = { Bindings: Env };
export type App = OpenAPIHono<AppEnv>;
