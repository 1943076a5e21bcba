// Limits on every input field, in one place so that the schemas and README ("Field limits")
// agree. Where the Svix document (svix-openapi.json) has a limit, it is Svix's; where it has
// none, Edgehook chooses one and says why. Every violation is a 422 in Svix's shape (the zod
// defaultHook in app.ts) and changes nothing.

/** Svix's pattern for uids, event type names, channels, feature flags and path ids. */
export const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
export const NAME_PATTERN_MESSAGE = "must contain only letters, digits, '-', '_' and '.'";

// --- From the Svix document ---
/** uid, eventId, event type name, featureFlag, path ids (app_id, endpoint_id, msg_id). */
export const UID_MAX = 256;
export const EVENT_TYPE_NAME_MAX = 256;
export const FEATURE_FLAG_MAX = 256;
export const CHANNEL_MAX = 128;
export const ENDPOINT_CHANNELS_MAX = 10;
export const MESSAGE_CHANNELS_MAX = 5;
/** throttleRate is a uint16. */
export const THROTTLE_RATE_MAX = 65_535;
/** Secret rotation's grace period: at most 7 days. */
export const GRACE_PERIOD_MAX_SECONDS = 604_800;
export const PAYLOAD_RETENTION_PERIOD_MIN_DAYS = 5;
export const PAYLOAD_RETENTION_PERIOD_MAX_DAYS = 90;
/** Svix's secret pattern: base64 of 24 to 75 bytes, optionally prefixed with whsec_. */
export const SECRET_PATTERN = /^(whsec_)?[a-zA-Z0-9+/=]{32,100}$/;

// --- Chosen by Edgehook (the Svix document has none) ---
/** Application name: as long as a uid; a name is a label, not a document. */
export const APP_NAME_MAX = 256;
export const ENDPOINT_DESCRIPTION_MAX = 1024;
/** Event type descriptions document the event for the consumer portal: more room. */
export const EVENT_TYPE_DESCRIPTION_MAX = 4096;
/**
 * Svix allows 65536; Edgehook records the URL in every attempt (and packs attempts into
 * pages), so a 64 KB URL would be copied into each one. 4096 is half the 8 KB request line
 * that common servers (nginx, Apache) accept by default, and far above any real webhook URL.
 */
export const ENDPOINT_URL_MAX = 4096;
/**
 * eventTypes of one endpoint. A catalogue of hundreds of event types is realistic, and an
 * endpoint that wants all of them omits the list. 1000 names of 256 characters fit an
 * endpoint row (and the one JSON parameter that checks them) well under D1's 2 MB.
 */
export const ENDPOINT_EVENT_TYPES_MAX = 1000;
/** featureFlags (the svix client's models): as many as an endpoint has channels. */
export const FEATURE_FLAGS_MAX = 10;
export const GROUP_NAME_MAX = 256;
/** App-portal tokens: the feature flags one token sees (the catalogue's, more than one type's). */
export const PORTAL_FEATURE_FLAGS_MAX = 100;
/** App-portal tokens: a sessionId, and how many expire-all names at once. */
export const SESSION_ID_MAX = 256;
export const SESSION_IDS_MAX = 100;
/** App-portal token lifetime (Svix): 1 hour to 7 days; expire-all's grace: up to 7 days. */
export const PORTAL_EXPIRY_MIN_SECONDS = 3600;
export const PORTAL_EXPIRY_MAX_SECONDS = 604_800;
/** Message tags: 5 of at most 128 characters. */
export const MESSAGE_TAGS_MAX = 5;
export const TAG_MAX = 128;
/** Tags: Svix's name alphabet plus '/', '\' and '#'. */
export const TAG_PATTERN = /^[a-zA-Z0-9\-_./\\#]+$/;
/** Metadata (applications, endpoints): the shape of Stripe's, with longer keys and values. */
export const METADATA_KEYS_MAX = 50;
export const METADATA_KEY_MAX = 256;
export const METADATA_VALUE_MAX = 1024;
/** The whole object as JSON: 50 full-length values would be 64 KB, which no label needs. */
export const METADATA_JSON_MAX = 16_384;
/**
 * Names in an `event_types` query filter. A filter names a few types; 100 keeps the query
 * string short (100 x 256 characters) and each listing's filter in one bound JSON parameter.
 */
export const FILTER_EVENT_TYPES_MAX = 100;
/** List `limit` (1 to 250) and `iterator` length: defined with the pagination (lib is below api). */
export { ITERATOR_MAX, MAX_LIMIT as LIST_LIMIT_MAX } from "../lib/pagination";
/**
 * Date-time parameters (before/after, since/until, deliverAt): ids encode their time in 8
 * base62 characters of milliseconds since 1970, which end in the year 8888; a later time
 * would wrap around into the past.
 */
export const TIME_MIN = "1970-01-01T00:00:00Z";
export const TIME_MAX = "8888-01-01T00:00:00Z";
/** send-example's exampleIndex: far above any schema's list of examples. */
export const EXAMPLE_INDEX_MAX = 1000;
