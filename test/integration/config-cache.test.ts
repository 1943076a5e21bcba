import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigCache } from "../../src/log/config-cache";
import { createApp } from "../helpers";
import { createEndpoint } from "./delivery-fixtures";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a log object's copy of its configuration", () => {
  it("keeps its copy until invalidated, and loads it again once it is older than its age limit", async () => {
    const app = await createApp();
    const cache = new ConfigCache(env.DB);
    expect((await cache.get(app.id)).endpoints.size).toBe(0);
    // A change the object was not told about (say, an edit in the D1 console)...
    await createEndpoint(app.id);
    expect((await cache.get(app.id)).endpoints.size).toBe(0);
    // ...shows once the copy is older than its age limit (5 minutes)...
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + 6 * 60_000);
    expect((await cache.get(app.id)).endpoints.size).toBe(1);
    // ...and a change it is told about shows at once.
    await createEndpoint(app.id);
    cache.invalidate();
    expect((await cache.get(app.id)).endpoints.size).toBe(2);
  });
});
