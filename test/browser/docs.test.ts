import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "../e2e/harness";
import { type FrameHost, POLL, startFrameHost, useBrowser } from "./support";

// The support layer against a page that exists today: the /docs page (Swagger UI served by the
// worker) renders with no console error and no request to another origin; and the watcher
// itself does catch both kinds of problem, so a clean run means something.
describe("/docs in headless Chromium", () => {
  const browser = useBrowser("docs");
  let gateway: Gateway;
  let host: FrameHost;

  beforeAll(async () => {
    [gateway, host] = await Promise.all([startGateway(), startFrameHost()]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), host?.close()]);
  });

  it("renders the API reference from the worker's own assets", async () => {
    const docs = await browser.open(`${gateway.url}/docs`, { origin: gateway.url });
    await docs.page.getByRole("heading", { name: /Edgehook API/ }).waitFor();
    await docs.page.getByRole("button", { name: /Authorize/ }).waitFor();
    expect(await docs.page.getByText("/api/v1/app/{app_id}/msg").count()).toBeGreaterThan(0);
    await docs.screenshot("docs");
  });

  it("records a request to another origin", async () => {
    const docs = await browser.open(`${gateway.url}/docs`, { origin: gateway.url });
    await docs.page.goto(`${host.origin}/nowhere`);
    await docs.page.close(); // nothing more from that origin (its favicon) for the next test
    expect(docs.takeProblems()).toContain(
      `request to another origin: GET ${host.origin}/nowhere (allowed: ${gateway.url})`,
    );
  });

  it("records console errors and uncaught errors", async () => {
    const docs = await browser.open(`${gateway.url}/docs`, { origin: gateway.url });
    await docs.page.evaluate(() => {
      console.error("logged on purpose");
      setTimeout(() => {
        throw new Error("thrown on purpose");
      });
    });
    const seen: string[] = [];
    await expect
      .poll(() => {
        seen.push(...docs.takeProblems());
        return seen;
      }, POLL)
      .toEqual([expect.stringMatching(/^console error: logged on purpose/), "page error: thrown on purpose"]);
  });

  it("records the console error of a page that refuses to be framed (frame-ancestors 'none')", async () => {
    const framed = await browser.open(host.embed(`${gateway.url}/docs`), {
      origin: gateway.url,
      topOrigin: host.origin,
    });
    await framed.page.getByRole("heading", { name: "Embedding site" }).waitFor();
    const seen: string[] = [];
    await expect
      .poll(() => {
        seen.push(...framed.takeProblems());
        return seen.join("\n");
      }, POLL)
      .toMatch(/console error: .*frame-ancestors 'none'/);
    await framed.screenshot("docs-framed-refused");
  });
});
