import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createState,
  type Gateway,
  type GatewayState,
  launchGateway,
  type Receiver,
  startReceiver,
} from "../e2e/harness";
import {
  admin,
  choose,
  dataRows,
  endpointSecret,
  eventTypeIn,
  openEndpoint,
  openMessage,
  type Portal,
  portal,
  portalUrl,
  sendTestEvent,
  shownText,
  verifies,
  webhookId,
} from "./portal-helpers";
import { POLL, useBrowser, type WatchedPage } from "./support";

// Issue 12's portal beyond the first scenario (portal.test.ts): the delivery chart, endpoint
// health, edit, custom headers, delete, recover, the message log's filters, a read-only token's
// page, the theme, a phone's width and the keyboard, in headless Chromium against wrangler dev
// and a real receiver. Tests run in order on one application: "main" answers 500 while
// `failing`, "other" (invoice.paid only) always 200. Every test also fails on any console error,
// page error or request to another origin (test/browser/support.ts).

const PAID = "invoice.paid";
const VOIDED = "invoice.voided";

type EndpointOut = {
  id: string;
  url: string;
  description: string;
  throttleRate: number | null;
  eventTypes: string[] | null;
  disabled: boolean;
  failingSince: string | null;
};
type List<T> = { data: T[] };

/** A time as a datetime-local field's value (seconds included) in the page's own time zone. */
function localValue(page: Page, ms: number): Promise<string> {
  return page.evaluate((t) => {
    const d = new Date(t);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }, ms);
}

describe("consumer portal: managing endpoints and messages in headless Chromium", () => {
  const browser = useBrowser("portal-manage");
  let state: GatewayState;
  let gateway: Gateway;
  let receiver: Receiver;
  let failing = false;
  let appId: string;
  let main: EndpointOut;
  let other: EndpointOut;
  let mainUrl: string;
  let otherUrl: string;
  let paidIds: string[];
  let voidedIds: string[];
  /** Messages before it are paid ones, after it voided ones (a whole second: the fields' step). */
  let boundary: number;
  let started: number;
  let tab: WatchedPage;
  let ui: Portal;
  const at = (path: string) => receiver.requests.filter((r) => r.path === path);
  const api = (path: string) => `/api/v1/app/${appId}${path}`;
  const sendAll = (eventType: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        admin<{ id: string; timestamp: string }>(gateway, "POST", api("/msg"), {
          eventType,
          payload: { invoiceId: `inv_${eventType}_${i}` },
        }),
      ),
    );
  const failedAtMain = async () =>
    (await admin<List<{ id: string }>>(gateway, "GET", api(`/endpoint/${main.id}/msg?status=2`))).data.length;

  beforeAll(async () => {
    [state, receiver] = await Promise.all([
      createState(),
      startReceiver((req) =>
        req.path === "/hooks/main" && failing ? { status: 500, body: "down" } : { status: 200, body: "ok" },
      ),
    ]);
    gateway = await launchGateway(state);
    await admin(
      gateway,
      "POST",
      "/api/v1/event-type",
      eventTypeIn(PAID, "An invoice was paid", { invoiceId: "i1" }),
    );
    await admin(
      gateway,
      "POST",
      "/api/v1/event-type",
      eventTypeIn(VOIDED, "An invoice was voided", { invoiceId: "i2" }),
    );
    appId = (await admin<{ id: string }>(gateway, "POST", "/api/v1/app", { name: "Acme", uid: "acme" })).id;
    mainUrl = `${receiver.url}/hooks/main`;
    otherUrl = `${receiver.url}/hooks/other`;
    main = await admin(gateway, "POST", api("/endpoint"), { url: mainUrl, description: "Main" });
    other = await admin(gateway, "POST", api("/endpoint"), { url: otherUrl, eventTypes: [PAID] });
    started = Math.floor(Date.now() / 1000) * 1000 - 1000;

    // Two paid invoices delivered to both endpoints; then, a whole second later, two voided
    // ones that only "main" gets, while it answers 500, until every retry has failed.
    paidIds = (await sendAll(PAID, 2)).map((m) => m.id);
    await receiver.waitFor(
      () => at("/hooks/main").length >= 2 && at("/hooks/other").length >= 2,
      30_000,
      gateway,
    );
    const paid = await admin<List<{ timestamp: string }>>(gateway, "GET", api("/msg"));
    const lastPaid = Math.max(...paid.data.map((m) => Date.parse(m.timestamp)));
    boundary = Math.floor(lastPaid / 1000) * 1000 + 1000;
    while (Date.now() <= boundary + 1000) await new Promise((r) => setTimeout(r, 100));
    failing = true;
    voidedIds = (await sendAll(VOIDED, 2)).map((m) => m.id);
    for (const deadline = Date.now() + 60_000; (await failedAtMain()) < 2; ) {
      if (Date.now() > deadline)
        throw new Error(`the voided messages did not fail:\n${gateway.log().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), receiver?.close()]);
    state?.remove();
  });

  it("draws the deliveries per hour, successes and failures counted, over 24 hours and 7 days", async () => {
    tab = await browser.open(await portalUrl(gateway, appId), { origin: gateway.url });
    ui = portal(tab.page);
    const count = async (status: number) =>
      (
        await admin<List<unknown>>(
          gateway,
          "GET",
          api(`/attempt/endpoint/${main.id}?status=${status}&limit=250`),
        )
      ).data.length;
    const [succeeded, failed] = [await count(0), await count(2)];
    expect(succeeded).toBe(2);
    expect(failed).toBeGreaterThanOrEqual(2); // each voided message, retries included

    await openEndpoint(ui, mainUrl);
    const chart = tab.page.getByRole("img", { name: /^Deliveries per hour/ });
    await expect
      .poll(() => chart.getAttribute("aria-label"), POLL)
      .toBe(`Deliveries per hour, last 24 hours: ${succeeded} succeeded, ${failed} failed`);
    const hours = () => chart.locator("title").count(); // one bar (with its tooltip) per hour
    expect(await hours()).toBeLessThanOrEqual(25);
    await tab.page.getByText(`${succeeded} succeeded, ${failed} failed;`).waitFor(); // the visible legend
    expect(await tab.page.getByRole("button", { name: "24 hours", pressed: true }).count()).toBe(1);
    await tab.screenshot("chart-24-hours");

    await tab.page.getByRole("button", { name: "7 days" }).click();
    await expect
      .poll(() => chart.getAttribute("aria-label"), POLL)
      .toBe(`Deliveries per hour, last 7 days: ${succeeded} succeeded, ${failed} failed`);
    expect(await hours()).toBeGreaterThanOrEqual(168);
    const pressed = (name: string) => tab.page.getByRole("button", { name, pressed: true }).count();
    expect([await pressed("24 hours"), await pressed("7 days")]).toEqual([0, 1]);
    await tab.screenshot("chart-7-days");
  });

  it("shows the endpoint failing on the list and its page; disables and enables it", async () => {
    await expect
      .poll(
        async () => (await admin<EndpointOut>(gateway, "GET", api(`/endpoint/${main.id}`))).failingSince,
        POLL,
      )
      .not.toBeNull();
    const row = () =>
      dataRows(tab.page.getByRole("table", { name: "Endpoints" })).filter({ hasText: mainUrl });
    await expect
      .poll(async () => {
        await ui.nav("Endpoints");
        return row().textContent();
      }, POLL)
      .toMatch(/Failing since/);
    expect(
      await dataRows(tab.page.getByRole("table", { name: "Endpoints" }))
        .filter({ hasText: otherUrl })
        .textContent(),
    ).toMatch(/Enabled/);
    await tab.screenshot("endpoints-failing");

    await ui.endpointLink(mainUrl).click();
    await ui.endpointHeading(mainUrl).waitFor();
    const facts = tab.page.locator("dl.facts");
    expect(await facts.textContent()).toMatch(/Status\s*Failing since/);
    expect(await facts.textContent()).not.toContain("not failing");
    await tab.screenshot("endpoint-failing");

    await tab.page.getByRole("button", { name: "Disable endpoint" }).click();
    await tab.page.getByRole("button", { name: "Enable endpoint" }).waitFor();
    await expect.poll(() => facts.textContent(), POLL).toMatch(/Status\s*Disabled/);
    expect((await admin<EndpointOut>(gateway, "GET", api(`/endpoint/${main.id}`))).disabled).toBe(true);
    await tab.screenshot("endpoint-disabled");
    await ui.nav("Endpoints");
    await expect.poll(() => row().textContent(), POLL).toMatch(/Disabled/);

    await ui.endpointLink(mainUrl).click();
    await tab.page.getByRole("button", { name: "Enable endpoint" }).click();
    await tab.page.getByRole("button", { name: "Disable endpoint" }).waitFor();
    expect((await admin<EndpointOut>(gateway, "GET", api(`/endpoint/${main.id}`))).disabled).toBe(false);
    expect(await facts.textContent()).not.toMatch(/Status\s*Disabled/);
    await tab.screenshot("endpoint-enabled");
  });

  it("narrows the message log by status, endpoint and time", async () => {
    await ui.nav("Messages");
    const table = ui.messages();
    const link = (id: string) => table.getByRole("link", { name: id });
    /** Applies the filters and waits until exactly `shown` are listed. */
    const expectRows = async (shown: string[], name: string) => {
      await ui.applyFilters().click();
      for (const id of [...paidIds, ...voidedIds].filter((i) => !shown.includes(i))) {
        await link(id).waitFor({ state: "detached" });
      }
      for (const id of shown) await link(id).waitFor();
      expect(await dataRows(table).count()).toBe(shown.length);
      await tab.screenshot(`messages-${name}`);
    };
    const field = (label: string) => tab.page.getByLabel(label, { exact: true });
    for (const id of [...paidIds, ...voidedIds]) await link(id).waitFor();
    expect(await dataRows(table).count()).toBe(4);

    await choose(field("Status"), "2"); // Failed: the voided ones, at "main"
    await expectRows(voidedIds, "failed");
    await choose(field("Status"), "");
    await choose(field("Endpoint"), other.id); // "other" only takes paid invoices
    await expectRows(paidIds, "endpoint-other");
    await choose(field("Endpoint"), "");
    await field("Since").fill(await localValue(tab.page, boundary));
    await expectRows(voidedIds, "since");
    await field("Since").fill("");
    await field("Until").fill(await localValue(tab.page, boundary));
    await expectRows(paidIds, "until");
  });

  it("recovers the failed messages since a time, with progress, once the receiver is back", async () => {
    failing = false;
    const before = at("/hooks/main").length;
    await openEndpoint(ui, mainUrl);
    await tab.page.getByLabel("Recover failed since").fill(await localValue(tab.page, started));
    await tab.page.getByRole("button", { name: "Recover", exact: true }).click();
    const status = tab.page.getByRole("status");
    await expect.poll(() => status.textContent(), POLL).toMatch(/^Recovery/);
    await tab.screenshot("recover-started");
    await expect.poll(() => status.textContent(), POLL).toMatch(/^Recovery finished/);
    await tab.screenshot("recover-finished");

    const redelivered = () => at("/hooks/main").slice(before);
    await receiver.waitFor(
      () => voidedIds.every((id) => redelivered().some((r) => webhookId(r) === id)),
      30_000,
      gateway,
    );
    const secret = await endpointSecret(gateway, appId, main.id);
    for (const id of voidedIds) {
      const delivery = redelivered().find((r) => webhookId(r) === id);
      expect(delivery && verifies(delivery, secret), id).toBe(true);
    }
    // Only what had failed: the paid invoices were delivered the first time.
    expect(redelivered().filter((r) => paidIds.includes(webhookId(r)))).toEqual([]);
    await expect.poll(failedAtMain, POLL).toBe(0);
  });

  it("edits description, rate limit and event types with Save changes", async () => {
    await openEndpoint(ui, mainUrl);
    const form = tab.page.getByRole("form", { name: "Edit endpoint" });
    await form.getByLabel(/^Description\b/).fill("Main, billing only");
    await form.getByLabel("Rate limit (per second)").fill("7");
    const types = form.getByRole("group", { name: "Event types" });
    await types.getByRole("checkbox", { name: PAID, exact: true }).check();
    await types.getByRole("checkbox", { name: VOIDED, exact: true }).uncheck();
    await form.getByRole("button", { name: "Save changes" }).click();
    await tab.page.getByText("Changes saved.").waitFor();
    await tab.screenshot("endpoint-edited");
    const saved = await admin<EndpointOut>(gateway, "GET", api(`/endpoint/${main.id}`));
    expect(saved).toMatchObject({ url: mainUrl, description: "Main, billing only", throttleRate: 7 });
    expect(saved.eventTypes).toEqual([PAID]);
    await tab.page.getByText("Main, billing only", { exact: true }).waitFor(); // the page reloaded it
  });

  it("adds custom headers, masks the sensitive one, and the receiver gets both", async () => {
    const bearer = "Bearer s3cr3t-portal-value";
    const name = tab.page.getByLabel("Header name");
    const value = tab.page.getByLabel("Header value");
    const save = tab.page.getByRole("button", { name: "Save header" });
    const headers = tab.page.getByRole("table", { name: "Custom headers" });
    await name.fill("X-Tenant");
    await value.fill("acme");
    await save.click();
    await dataRows(headers).filter({ hasText: "X-Tenant" }).waitFor();
    await name.fill("Authorization");
    await value.fill(bearer);
    await save.click();
    const masked = dataRows(headers).filter({ hasText: "Authorization" });
    await masked.waitFor();
    expect(await masked.textContent()).toMatch(/sensitive, hidden/);
    expect(await dataRows(headers).filter({ hasText: "X-Tenant" }).textContent()).toContain("acme");
    expect(await shownText(value)).toBe(""); // the form was cleared
    expect(await tab.page.content()).not.toContain("s3cr3t-portal-value");
    await tab.screenshot("custom-headers");

    const before = at("/hooks/main").length;
    await sendTestEvent(ui, PAID);
    await receiver.waitFor(() => at("/hooks/main").length > before, 30_000, gateway);
    const delivery = at("/hooks/main").at(-1);
    expect(delivery?.headers["x-tenant"]).toBe("acme");
    expect(delivery?.headers.authorization).toBe(bearer);
    expect(delivery && verifies(delivery, await endpointSecret(gateway, appId, main.id))).toBe(true);
  });

  it("deletes an endpoint only once the dialog's Delete confirms it", async () => {
    await openEndpoint(ui, otherUrl);
    const dialog = tab.page.getByRole("dialog", { name: "Delete this endpoint?" });
    await tab.page.getByRole("button", { name: "Delete endpoint" }).click();
    await dialog.waitFor();
    await tab.screenshot("delete-dialog");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await ui.endpointHeading(otherUrl).waitFor();
    expect((await gateway.api("GET", api(`/endpoint/${other.id}`))).status).toBe(200);

    await tab.page.getByRole("button", { name: "Delete endpoint" }).click();
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await tab.page.getByRole("heading", { level: 1, name: "Endpoints" }).waitFor();
    await ui.endpointLink(mainUrl).waitFor();
    await ui.endpointLink(otherUrl).waitFor({ state: "detached" });
    expect((await gateway.api("GET", api(`/endpoint/${other.id}`))).status).toBe(404);
    await tab.screenshot("endpoint-deleted");
  });

  it("shows a read-only token the endpoints and messages, and no control it cannot use", async () => {
    const url = await portalUrl(gateway, appId, { readOnly: true });
    expect(url).toMatch(/&capabilities=ViewBase$/);
    const ro = await browser.open(url, { origin: gateway.url });
    const view = portal(ro.page);
    const buttons = () => ro.page.getByRole("button").allInnerTexts();

    await view.nav("Endpoints");
    await view.endpointLink(mainUrl).waitFor();
    expect(await buttons()).toEqual([]);
    await ro.screenshot("read-only-endpoints");

    await view.endpointLink(mainUrl).click();
    await view.endpointHeading(mainUrl).waitFor();
    await ro.page.getByRole("table", { name: "Custom headers" }).waitFor();
    await dataRows(view.deliveryAttempts()).first().waitFor();
    await ro.page.getByRole("img", { name: /^Deliveries per hour/ }).waitFor();
    // Only reading: the chart's range and the attempts' refresh.
    expect((await buttons()).sort()).toEqual(["24 hours", "7 days", "Refresh"]);
    expect(await ro.page.getByRole("form").count()).toBe(0);
    expect(await ro.page.getByRole("heading", { name: "Signing secret" }).count()).toBe(0);
    expect(await ro.page.getByRole("heading", { name: "Recover failed messages" }).count()).toBe(0);
    expect(await ro.page.getByLabel("Header value").count()).toBe(0);
    // Not even a closed confirmation dialog is rendered for what the token cannot do.
    expect(await ro.page.locator("dialog").count()).toBe(0);
    await ro.screenshot("read-only-endpoint");

    const [first] = voidedIds;
    if (!first) throw new Error("no message");
    await openMessage(view, first);
    await dataRows(view.attempts()).first().waitFor();
    expect(await view.resend().count()).toBe(0);
    expect((await buttons()).sort()).toEqual(["Refresh"]);
    await ro.screenshot("read-only-message");
    await view.nav("Messages");
    for (const id of [...paidIds, ...voidedIds]) await view.messageLink(id).waitFor();
  });

  it("takes its colours from the url, fits a phone, and works from the keyboard", async () => {
    const url = (await portalUrl(gateway, appId)).replace(
      "/portal#",
      "/portal?primaryColor=%23ff6600&darkMode=true#",
    );
    const themed = await browser.open(url, { origin: gateway.url });
    const page = themed.page;
    const view = portal(page);
    const add = view.addEndpoint();
    await add.waitFor();
    expect(await add.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(255, 102, 0)");
    const [r, g, b] = (await page.evaluate(() => getComputedStyle(document.body).backgroundColor))
      .match(/\d+/g)
      ?.map(Number) ?? [255, 255, 255];
    expect((r ?? 255) + (g ?? 255) + (b ?? 255)).toBeLessThan(3 * 64); // a dark background
    await themed.screenshot("theme-dark-orange");

    // A phone: no page scrolls sideways (wide tables scroll inside their own box).
    await page.setViewportSize({ width: 390, height: 844 });
    const width = () => page.evaluate(() => document.scrollingElement?.scrollWidth ?? 0);
    expect(await width()).toBeLessThanOrEqual(390);
    await themed.screenshot("phone-endpoints");
    await view.endpointLink(mainUrl).click();
    await view.endpointHeading(mainUrl).waitFor();
    await page.getByRole("table", { name: "Custom headers" }).waitFor();
    expect(await width()).toBeLessThanOrEqual(390);
    await themed.screenshot("phone-endpoint");
    await view.nav("Messages");
    await view.messageLink(paidIds[0] ?? "").waitFor();
    expect(await width()).toBeLessThanOrEqual(390);
    await themed.screenshot("phone-messages");
    await openMessage(view, paidIds[0] ?? "");
    await dataRows(view.attempts()).first().waitFor();
    expect(await width()).toBeLessThanOrEqual(390);
    await themed.screenshot("phone-message");

    // The keyboard: Tab reaches "Add endpoint", Enter opens the form; every field has a label.
    await view.nav("Endpoints");
    await add.waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    for (let i = 0; i < 10 && (await focused()) !== "Add endpoint"; i++) await page.keyboard.press("Tab");
    expect(await focused()).toBe("Add endpoint");
    await page.keyboard.press("Enter");
    const form = page.getByRole("form", { name: "New endpoint" });
    await form.waitFor();
    for (const label of [
      "Endpoint URL",
      "Description",
      "Rate limit (per second)",
      "Channels",
      PAID,
      VOIDED,
    ]) {
      expect(await form.getByLabel(label, { exact: true }).count(), label).toBe(1);
    }
    const unlabelled = await form.evaluate((f) =>
      [...f.querySelectorAll("input, select, textarea")]
        .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute("aria-label"))
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await themed.screenshot("keyboard-add-endpoint");
  });
});
