import type { OpenAPIHono } from "@hono/zod-openapi";

// Types the app (src/app.ts) and the routes below it share; here, under both, so that no
// route imports from the app that mounts it.

/** Svix's AppPortalCapability: what an app-portal token may do beyond its application's reads. */
export type PortalCapability =
  | "ViewBase"
  | "ViewEndpointSecret"
  | "ManageEndpointSecret"
  | "ManageTransformations"
  | "CreateAttempts"
  | "ManageEndpoint";

/** An app-portal token that authenticated: one application, what it may do, what it sees. */
export interface PortalAuth {
  kind: "portal";
  appId: string;
  /** The application's uid now (it may have changed since the token was made). */
  appUid: string | null;
  capabilities: PortalCapability[];
  featureFlags: string[];
  /** The SHA-256 (hex) the token is stored under: what logout deletes. */
  tokenHash: string;
}

/** Who called: set by the auth middleware (src/security/auth.ts) before any route runs. */
export type Auth = { kind: "admin" } | PortalAuth;

export type AppEnv = { Bindings: Env; Variables: { auth: Auth } };
export type App = OpenAPIHono<AppEnv>;
