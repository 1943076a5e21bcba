import { createRoute } from "@hono/zod-openapi";
import { patchApplication } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, jsonBody, jsonResponse, security } from "../common";
import { ApplicationOut, ApplicationPatch, appIdParam, toApplicationOut } from "./schema";

const route = createRoute({
  method: "patch",
  path: "/api/v1/app/{app_id}",
  operationId: "patch_application",
  tags: ["Application"],
  summary: "Patch Application",
  security,
  request: { params: appIdParam, body: jsonBody(ApplicationPatch) },
  responses: {
    200: jsonResponse(ApplicationOut, "The updated application"),
    ...errorResponses,
  },
});

export const registerPatchApplication = (app: App) =>
  app.openapi(route, async (c) => {
    const row = await patchApplication({
      env: c.env,
      idOrUid: c.req.valid("param").app_id,
      input: c.req.valid("json"),
    });
    return c.json(toApplicationOut(row), 200);
  });
