import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { jsonDepthLimit } from "./api/json-depth";
import { registerRoutes } from "./api/routes";
import { getConfig } from "./config";
import { ApiError, ValidationFailure, type ValidationIssue } from "./errors";
import { MAX_BODY_DEPTH } from "./lib/json-depth";
import { bearerAuth } from "./security/auth";
import type { App, AppEnv } from "./types";

export type { App, AppEnv } from "./types";

const LOC_NAMES: Record<string, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
};

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
        return c.json({ detail: validationIssues(result.target, result.error) }, 422);
      }
    },
  });

  app.use("/api/v1/*", bearerAuth({ publicPaths: ["/api/v1/health", "/api/v1/health/ping"] }));
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

  app.doc31("/api/v1/openapi.json", {
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
  app.get("/docs", (c) => c.html(DOCS_PAGE));

  app.notFound((c) => errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${c.req.path}`));

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.detail);
    if (err instanceof ValidationFailure) return c.json({ detail: err.issues }, 422);
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

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Edgehook API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true });
  </script>
</body>
</html>`;
