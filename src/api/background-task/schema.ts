import { z } from "@hono/zod-openapi";
import { isoTime, parseJson } from "../../lib/json";
import { listResponseSchema } from "../../lib/pagination";
import type { BackgroundTask } from "../../services/deliveries";

export const backgroundTaskStatus = z.enum(["running", "finished", "failed"]).openapi("BackgroundTaskStatus");
export const backgroundTaskType = z.enum(["endpoint.recover"]).openapi("BackgroundTaskType");

export const BackgroundTaskOut = z
  .object({
    id: z.string().openapi({ example: "qtask_1srOrx2ZWZBpBUvZwXKQmoEYga2" }),
    status: backgroundTaskStatus,
    task: backgroundTaskType,
    data: z.record(z.string(), z.unknown()),
    updatedAt: z.string(),
  })
  .openapi("BackgroundTaskOut");

export const RecoverOut = z
  .object({ id: z.string(), status: backgroundTaskStatus, task: backgroundTaskType, updatedAt: z.string() })
  .openapi("RecoverOut");

export const ListResponseBackgroundTaskOut = listResponseSchema(
  BackgroundTaskOut,
  "ListResponse_BackgroundTaskOut_",
);

// endpoint.recover is the one task Edgehook runs today.
const taskType = (_task: string) => "endpoint.recover" as const;

export const toBackgroundTaskOut = (t: BackgroundTask): z.infer<typeof BackgroundTaskOut> => ({
  id: t.id,
  status: t.status,
  task: taskType(t.task),
  data: parseJson<Record<string, unknown>>(t.data, {}),
  updatedAt: isoTime(t.updated_at),
});

export const toRecoverOut = (t: BackgroundTask): z.infer<typeof RecoverOut> => ({
  id: t.id,
  status: t.status,
  task: taskType(t.task),
  updatedAt: isoTime(t.updated_at),
});
