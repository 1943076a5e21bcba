import { createRoute } from "@hono/zod-openapi";
import { listResponse, pageRequest, paginationQuery } from "../../lib/pagination";
import { listApplicationPage } from "../../services/applications";
import type { App } from "../../types";
import { errorResponses, jsonResponse, security } from "../common";
import { ListResponseApplicationOut, toApplicationOut } from "./schema";

const route = createRoute({
  method: "get",
  path: "/api/v1/app",
  operationId: "v1.application.list",
  tags: ["Application"],
  summary: "List Applications",
  security,
  request: { query: paginationQuery },
  responses: {
    200: jsonResponse(ListResponseApplicationOut, "A page of applications"),
    401: errorResponses[401],
    422: errorResponses[422],
  },
});

export const registerListApplications = (app: App) =>
  app.openapi(route, async (c) => {
    const page = pageRequest(c.req.valid("query"), "ascending");
    const rows = await listApplicationPage(c.env.DB, page);
    return c.json(
      listResponse(rows, page, (r) => r.id, toApplicationOut),
      200,
    );
  });
