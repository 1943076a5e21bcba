import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { EGRESS_IPS_PATH } from "./api/egress/get";
import { jsonDepthLimit } from "./api/json-depth";
import { registerRoutes } from "./api/routes";
import { getConfig } from "./config";
import { ApiError, ValidationFailure, type ValidationIssue } from "./errors";
import { MAX_BODY_DEPTH } from "./lib/json-depth";
import { registerPortal } from "./portal/routes";
import { bearerAuth } from "./security/auth";
import { findPortalAuth } from "./services/portal-tokens";
import type { App, AppEnv } from "./types";

export type { App, AppEnv } from "./types";

const LOC_NAMES: Record<string, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
};

/**
 * A 422 lists at most this many issues and says how many more there were: a body of 10k wrong
 * items would otherwise answer a megabyte.
 */
export const MAX_VALIDATION_ISSUES = 20;

function bounded(issues: ValidationIssue[]): ValidationIssue[] {
  if (issues.length <= MAX_VALIDATION_ISSUES) return issues;
  const more = issues.length - MAX_VALIDATION_ISSUES;
  const rest = { loc: ["body"], msg: `and ${more} more issues`, type: "value_error.too_many_issues" };
  return [...issues.slice(0, MAX_VALIDATION_ISSUES), rest];
}

function validationIssues(target: string, error: ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    loc: [LOC_NAMES[target] ?? target, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    msg: issue.message,
    type: issue.code,
  }));
}

function errorResponse(c: Context, status: ApiError["status"], code: string, detail: string) {
  return c.json({ code, detail }, status);
}

export function createApp(): App {
  const app: App = new OpenAPIHono<AppEnv>({
    // Every schema failure becomes Svix's 422 shape {"detail":[{loc,msg,type}]}.
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json({ detail: bounded(validationIssues(result.target, result.error)) }, 422);
      }
    },
  });

  // The OpenAPI document is public, as Svix's is: it holds no secrets, and /docs reads it
  // without a token. The egress addresses are published for receivers' firewalls.
  // svix-react's hooks call the API from the customer's own pages (another origin) with an
  // app-portal token. A bearer token is no ambient credential (no cookies, credentials mode
  // off), so any origin may call; preflights answer before the token check. Only a request
  // with an Origin header (a browser's) goes through it: server-side clients send none, and the
  // middleware's header copying cost ingest about 15% of its throughput (npm run bench).
  const crossOrigin = cors({
    origin: "*",
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["authorization", "content-type", "idempotency-key", "svix-req-id", "svix-retry-count"],
    exposeHeaders: ["idempotent-replayed"],
    maxAge: 600,
  });
  app.use("/api/v1/*", (c, next) => (c.req.header("origin") ? crossOrigin(c, next) : next()));
  // The admin token, or an app-portal token within its scope (src/security/portal-scope.ts).
  app.use(
    "/api/v1/*",
    bearerAuth({
      publicPaths: [...HEALTH_PATHS, OPENAPI_PATH, EGRESS_IPS_PATH],
      portalToken: findPortalAuth,
    }),
  );
  app.use("/api/v1/*", async function payloadLimit(c, next) {
    const maxSize = getConfig(c.env).maxPayloadBytes;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `Request body exceeds ${maxSize} bytes`);
      },
    })(c, next);
  });
  app.use("/api/v1/*", jsonDepthLimit({ maxDepth: MAX_BODY_DEPTH }));

  registerRoutes(app);

  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "Edgehook API",
      version: "1.0.0",
      description: "Outbound webhooks on Cloudflare Workers, compatible with the Svix API v1.",
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "HTTPBearer", {
    type: "http",
    scheme: "bearer",
  });
  registerDocs(app);
  registerPortal(app);

  app.notFound((c) => errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${c.req.path}`));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.detail);
    if (err instanceof ValidationFailure) return c.json({ detail: bounded(err.issues) }, 422);
    if (err instanceof HTTPException) {
      // Hono's JSON validator answers malformed bodies with a 400 HTTPException.
      const code = err.status === 400 ? "invalid_json" : "bad_request";
      return errorResponse(c, err.status, code, err.message || "Bad request");
    }
    // Never a stack trace in a response; the log line carries the error, never a secret.
    console.error("unhandled error", c.req.method, c.req.path, err instanceof Error ? err.message : err);
    return errorResponse(c, 500, "internal_error", "Internal server error");
  });

  return app;
}

const HEALTH_PATHS = ["/api/v1/health", "/api/v1/health/ping"];
const OPENAPI_PATH = "/api/v1/openapi.json";

// The /docs page: Swagger UI from the pinned swagger-ui-dist package, served by this worker
// (scripts/docs-assets.mjs copies it into the [assets] directory), never from a CDN. Every
// script is a file from this origin, so the policy forbids inline script and eval. Styles
// allow 'unsafe-inline' because Swagger UI sets inline styles as it renders
// (swagger-api/swagger-ui#10655), images allow data: for the icons its stylesheet embeds
// (#7540); neither can run code, and nothing is loaded from another origin.
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function registerDocs(app: App): void {
  const secured = (res: Response) => {
    res.headers.set("content-security-policy", DOCS_CSP);
    res.headers.set("x-content-type-options", "nosniff");
    res.headers.set("referrer-policy", "no-referrer");
    return res;
  };
  app.get("/docs", (c) => secured(c.html(DOCS_PAGE)));
  app.get("/docs/init.js", (c) =>
    secured(c.body(DOCS_INIT, 200, { "content-type": "text/javascript; charset=utf-8" })),
  );
  app.get("/docs/:file", async (c) => {
    // A deployment without [assets] (the bench's) has no page assets; the API is unaffected.
    const assets = c.env.ASSETS as Fetcher | undefined;
    if (!assets) throw new ApiError(404, "not_found", "The /docs assets are not deployed here");
    const res = await assets.fetch(c.req.raw);
    // Anything but 404 passes through as is (304 answers a revalidation by ETag).
    if (res.status === 404) throw new ApiError(404, "not_found", `No asset ${c.req.path}`);
    return secured(new Response(res.body, res));
  });
}

// persistAuthorization stays off: the token typed under Authorize lives in this tab's memory
// only, never in localStorage. validatorUrl off: the default would load a badge from
// validator.swagger.io.
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: "${OPENAPI_PATH}",
  dom_id: "#swagger-ui",
  persistAuthorization: false,
  validatorUrl: null,
  queryConfigEnabled: false,
});
`;

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Edgehook API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <link rel="icon" href="/docs/favicon-32x32.png" />
  <link rel="stylesheet" href="/docs/swagger-ui.css" />
</head>
<body>
  <p style="margin: 1em 2em; font-family: sans-serif">
    The token you enter under <b>Authorize</b> is kept in this tab's memory only, never stored:
    reloading the page forgets it. The API document is at <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.
  </p>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;
