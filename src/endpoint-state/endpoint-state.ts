import { DurableObject } from "cloudflare:workers";

/** Per-endpoint traffic owner: rate limit and health. Named by endpoint id. */
export class EndpointState extends DurableObject<Env> {}
