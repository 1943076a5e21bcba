import { z } from "@hono/zod-openapi";
import { PORTAL_CAPABILITIES } from "../../security/portal-scope";
import { PORTAL_TOKEN_DEFAULT_EXPIRY_S } from "../../services/portal-tokens";
import { ApplicationIn } from "../application/schema";
import {
  FEATURE_FLAG_MAX,
  NAME_PATTERN,
  NAME_PATTERN_MESSAGE,
  PORTAL_EXPIRY_MAX_SECONDS,
  PORTAL_EXPIRY_MIN_SECONDS,
  PORTAL_FEATURE_FLAGS_MAX,
  SESSION_ID_MAX,
  SESSION_IDS_MAX,
} from "../limits";

const unique = (list: string[]) => new Set(list).size === list.length;

export const AppPortalCapability = z.enum(PORTAL_CAPABILITIES).openapi("AppPortalCapability");

const sessionIdSchema = z.string().min(1).max(SESSION_ID_MAX);

export const AppPortalAccessIn = z
  .object({
    application: ApplicationIn.nullish().openapi({
      description: "Creates the application when the path's uid names none; ignored when it exists",
    }),
    featureFlags: z
      .array(z.string().min(1).max(FEATURE_FLAG_MAX).regex(NAME_PATTERN, NAME_PATTERN_MESSAGE))
      .max(PORTAL_FEATURE_FLAGS_MAX)
      .refine(unique, "must not repeat a feature flag")
      .optional()
      .openapi({
        description: "Event types with feature flags are visible only if the token has all of them",
      }),
    expiry: z
      .number()
      .int()
      .min(PORTAL_EXPIRY_MIN_SECONDS)
      .max(PORTAL_EXPIRY_MAX_SECONDS)
      .nullish()
      .openapi({
        description: `Seconds the token is valid (default ${PORTAL_TOKEN_DEFAULT_EXPIRY_S}, 7 days)`,
      }),
    readOnly: z
      .boolean()
      .nullish()
      .openapi({ deprecated: true, description: 'Same as capabilities ["ViewBase"]' }),
    capabilities: z
      .array(AppPortalCapability)
      .max(PORTAL_CAPABILITIES.length)
      .nullish()
      .openapi({ description: "What the token may do; must include ViewBase. Default: all" }),
    sessionId: sessionIdSchema
      .nullish()
      .openapi({ description: "Lets expire-all end this session's tokens" }),
  })
  .openapi("AppPortalAccessIn");

export const AppPortalAccessOut = z
  .object({
    url: z.string().openapi({
      example:
        "https://edgehook.example/portal#app=app_1srOrx2ZWZBpBUvZwXKQmoEYga2&token=appsk_...&capabilities=ViewBase,CreateAttempts",
    }),
    token: z.string().openapi({ example: "appsk_kV3ts5tKPNJN4Dl25cMTfUNdmabxbX0OkV3ts5tKPNJ" }),
  })
  .openapi("AppPortalAccessOut");

export const ApplicationTokenExpireIn = z
  .object({
    expiry: z
      .number()
      .int()
      .min(0)
      .max(PORTAL_EXPIRY_MAX_SECONDS)
      .nullish()
      .openapi({ description: "Seconds until the tokens expire (default 0: at once)" }),
    sessionIds: z
      .array(sessionIdSchema)
      .max(SESSION_IDS_MAX)
      .optional()
      .openapi({ description: "Only the tokens created with one of these sessionIds (default: all)" }),
  })
  .openapi("ApplicationTokenExpireIn");
