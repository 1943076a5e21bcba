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
  bySignature,
  choose,
  dataRows,
  endpointSecret,
  eventTypeIn,
  openEndpoint,
  openMessage,
  type Portal,
  pollAttempts,
  portal,
  portalUrl,
  sendTestEvent,
  shownText,
  verifies,
  webhookId,
} from "./portal-helpers";
import { type FrameHost, POLL, startFrameHost, useBrowser, type WatchedPage } from "./support";

// Issue 12's browser scenario: a receiver's day in the consumer portal, in headless Chromium,
// against the gateway under wrangler dev and a real local receiver that verifies every delivery
// with standardwebhooks. The tests run in order and share one portal page: the page keeps its
// token in memory only, so a reload would end the session. Every test also fails on any console
// error, page error or request to another origin (test/browser/support.ts).

const PAID = "invoice.paid";
const VOIDED = "invoice.voided";
const PAID_EXAMPLE = { invoiceId: "inv_1001", amount: 4200, currency: "EUR" };

describe("consumer portal in headless Chromium", () => {
  const browser = useBrowser("portal");
  let state: GatewayState;
  let gateway: Gateway;
  let receiver: Receiver;
  let host: FrameHost;
  let app1: { id: string };
  let app2: { id: string };
  let tab: WatchedPage;
  let ui: Portal;
  let endpointUrl: string;
  let endpointId: string;
  const acme = () => receiver.requests.filter((r) => r.path === "/hooks/acme");

  beforeAll(async () => {
    [state, receiver, host] = await Promise.all([
      createState(),
      startReceiver(() => ({ status: 200, body: "thanks" })),
      startFrameHost(),
    ]);
    gateway = await launchGateway(state, { vars: { PORTAL_FRAME_ANCESTORS: host.origin } });
    await admin(
      gateway,
      "POST",
      "/api/v1/event-type",
      eventTypeIn(PAID, "An invoice was paid", PAID_EXAMPLE),
    );
    await admin(
      gateway,
      "POST",
      "/api/v1/event-type",
      eventTypeIn(VOIDED, "An invoice was voided", { invoiceId: "inv_1002", reason: "duplicate" }),
    );
    app1 = await admin(gateway, "POST", "/api/v1/app", { name: "Acme", uid: "acme" });
    app2 = await admin(gateway, "POST", "/api/v1/app", { name: "Globex", uid: "globex" });
    endpointUrl = `${receiver.url}/hooks/acme`;
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), receiver?.close(), host?.close()]);
    state?.remove();
  });

  it("opens from the app-portal-access url and takes the token out of the address bar", async () => {
    const url = await portalUrl(gateway, app1.id);
    tab = await browser.open(url, { origin: gateway.url });
    ui = portal(tab.page);
    for (const name of ["Endpoints", "Messages", "Event catalog"]) {
      await tab.page.getByRole("link", { name, exact: true }).waitFor();
    }
    const token = new URL(url.replace("#", "?")).searchParams.get("token") ?? "";
    expect(token).toMatch(/^appsk_/);
    expect(tab.page.url()).not.toContain(token);
    // Kept in memory only: nothing in the page's storage or cookies holds it.
    const stored = await tab.page.evaluate(() =>
      JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]),
    );
    expect(stored).not.toContain(token);
    expect(JSON.stringify(await tab.page.context().cookies())).not.toContain(token);
    await tab.screenshot("home");
  });

  it("lists the event catalog with descriptions", async () => {
    await ui.nav("Event catalog");
    for (const [name, description] of [
      [PAID, "An invoice was paid"],
      [VOIDED, "An invoice was voided"],
    ] as const) {
      await tab.page.getByRole("heading", { name, exact: true }).waitFor();
      await tab.page.getByText(description).first().waitFor();
    }
    await tab.screenshot("event-catalog");
  });

  it("shows the API's error for a bad URL in the form and creates nothing", async () => {
    await ui.nav("Endpoints");
    await ui.addEndpoint().click();
    await ui.endpointUrlField().fill("ftp://127.0.0.1/hooks/acme");
    tab.allowFailedResponse(422); // the API's answer: Chromium logs it as a console error
    await ui.createEndpoint().click();
    await ui.alert().filter({ hasText: 'URL scheme must be https, not "ftp"' }).waitFor();
    await tab.screenshot("endpoint-form-bad-url");
    const endpoints = await admin<{ data: unknown[] }>(gateway, "GET", `/api/v1/app/${app1.id}/endpoint`);
    expect(endpoints.data).toEqual([]);
  });

  it("creates an endpoint through the form, picking event types from the catalog", async () => {
    await ui.endpointUrlField().fill(endpointUrl);
    await ui.descriptionField().fill("Acme billing");
    const picker = ui.eventTypesGroup();
    await picker.getByText("An invoice was paid").first().waitFor(); // descriptions from the catalog
    await picker.getByRole("checkbox", { name: PAID, exact: true }).check();
    await picker.getByRole("checkbox", { name: VOIDED, exact: true }).check();
    await ui.createEndpoint().click();
    // The page opens the new endpoint; the list then links to it.
    await ui.endpointHeading(endpointUrl).waitFor();
    await tab.screenshot("endpoint-created");
    await ui.nav("Endpoints");
    await ui.endpointLink(endpointUrl).waitFor();
    await tab.screenshot("endpoints");

    type Out = { id: string; url: string; description: string; eventTypes: string[] | null };
    const endpoints = await admin<{ data: Out[] }>(gateway, "GET", `/api/v1/app/${app1.id}/endpoint`);
    expect(endpoints.data).toHaveLength(1);
    const [created] = endpoints.data as [Out];
    endpointId = created.id;
    expect(created).toMatchObject({ url: endpointUrl, description: "Acme billing" });
    expect([...(created.eventTypes ?? [])].sort()).toEqual([PAID, VOIDED]);
  });

  it("sends a test event and shows the attempt with the receiver's status code", async () => {
    await openEndpoint(ui, endpointUrl);
    await sendTestEvent(ui, PAID);
    await receiver.waitFor(() => acme().length >= 1, 30_000, gateway);
    const [delivery] = acme();
    expect(delivery && verifies(delivery, await endpointSecret(gateway, app1.id, endpointId))).toBe(true);
    expect(JSON.parse(delivery?.body ?? "{}")).toEqual(PAID_EXAMPLE); // the schema's example
    await pollAttempts(ui).toEqual([expect.stringMatching(/\b200\b/)]);
    await tab.screenshot("endpoint-test-event");
  });

  it("resends the message from its page: a second attempt, and a second verified delivery", async () => {
    const [first] = acme();
    if (!first) throw new Error("no delivery yet");
    const msgId = webhookId(first);
    await openMessage(ui, msgId);
    expect(await shownText(ui.payload())).toContain("inv_1001");
    await expect
      .poll(() => dataRows(ui.attempts()).allInnerTexts(), POLL)
      .toEqual([expect.stringMatching(/\b200\b[\s\S]*thanks/)]); // status, code, ..., response body
    await tab.screenshot("message");

    await ui.resend().click();
    await receiver.waitFor(() => acme().length >= 2, 30_000, gateway);
    const secret = await endpointSecret(gateway, app1.id, endpointId);
    expect(acme().map(webhookId)).toEqual([msgId, msgId]);
    expect(acme().every((r) => verifies(r, secret))).toBe(true);
    await expect
      .poll(async () => {
        await openMessage(ui, msgId); // opened afresh, so its attempts are listed again
        return dataRows(ui.attempts()).allInnerTexts();
      }, POLL)
      .toEqual([expect.stringMatching(/\b200\b/), expect.stringMatching(/\b200\b/)]);
    await tab.screenshot("message-resent");
  });

  it("reveals and rotates the secret; the next delivery verifies with the new one", async () => {
    const oldSecret = await endpointSecret(gateway, app1.id, endpointId);
    await openEndpoint(ui, endpointUrl);
    await ui.revealSecret().click();
    await expect.poll(() => shownText(ui.secret()), POLL).toBe(oldSecret);
    await tab.screenshot("secret-revealed");

    await ui.rotateSecret().click();
    await tab.screenshot("secret-rotate-dialog");
    await ui.confirmRotate().click();
    await expect.poll(() => endpointSecret(gateway, app1.id, endpointId), POLL).not.toBe(oldSecret);
    const newSecret = await endpointSecret(gateway, app1.id, endpointId);
    await expect
      .poll(async () => {
        if (await ui.revealSecret().isVisible()) await ui.revealSecret().click();
        return shownText(ui.secret());
      }, POLL)
      .toBe(newSecret);
    await tab.screenshot("secret-rotated");

    const before = acme().length;
    await sendTestEvent(ui, PAID);
    await receiver.waitFor(() => acme().length > before, 30_000, gateway);
    const next = acme().at(-1);
    const first = acme()[0];
    if (!next || !first) throw new Error("no deliveries");
    // The old secret keeps signing for 24 hours (Svix's overlap), so `next` carries both
    // signatures: the new secret verifies it through a signature the old one does not make.
    expect(verifies(next, newSecret)).toBe(true);
    const newOnly = bySignature(next).filter((one) => verifies(one, newSecret));
    expect(newOnly).toHaveLength(1);
    expect(newOnly.some((one) => verifies(one, oldSecret))).toBe(false);
    expect(verifies(first, newSecret)).toBe(false); // signed before the rotation
    await pollAttempts(ui).toHaveLength(3); // the first test event, its resend, this one
  });

  it("filters the message log by event type", async () => {
    const paidIds = [...new Set(acme().map(webhookId))]; // the two test events
    expect(paidIds).toHaveLength(2);
    const voided = await admin<{ id: string }>(gateway, "POST", `/api/v1/app/${app1.id}/msg`, {
      eventType: VOIDED,
      payload: { invoiceId: "inv_1002", reason: "duplicate" },
    });
    await ui.nav("Messages");
    const table = ui.messages();
    for (const id of [...paidIds, voided.id]) await table.getByRole("link", { name: id }).waitFor();
    await tab.screenshot("messages");

    await choose(ui.eventTypeFilter(), PAID);
    await ui.applyFilters().click();
    await table.getByRole("link", { name: voided.id }).waitFor({ state: "detached" });
    for (const id of paidIds) await table.getByRole("link", { name: id }).waitFor();
    await tab.screenshot("messages-filtered-paid");

    await choose(ui.eventTypeFilter(), VOIDED);
    await ui.applyFilters().click();
    await table.getByRole("link", { name: voided.id }).waitFor();
    for (const id of paidIds) await table.getByRole("link", { name: id }).waitFor({ state: "detached" });
    expect(await dataRows(table).count()).toBe(1);
    await tab.screenshot("messages-filtered-voided");
  });

  it("shows a second application's token none of the first one's data", async () => {
    const globexUrl = `${receiver.url}/hooks/globex`;
    await admin(gateway, "POST", `/api/v1/app/${app2.id}/endpoint`, { url: globexUrl });
    const own = await admin<{ id: string }>(gateway, "POST", `/api/v1/app/${app2.id}/msg`, {
      eventType: PAID,
      payload: { invoiceId: "inv_9001", amount: 1, currency: "USD" },
    });
    const theirs = await admin<{ data: { id: string }[] }>(gateway, "GET", `/api/v1/app/${app1.id}/msg`);
    const foreign = [app1.id, endpointId, endpointUrl, ...theirs.data.map((m) => m.id)];

    const other = await browser.open(await portalUrl(gateway, app2.id), { origin: gateway.url });
    const ui2 = portal(other.page);
    await ui2.nav("Endpoints");
    await ui2.endpointLink(globexUrl).waitFor();
    await other.screenshot("second-app-endpoints");
    const pages = [await other.page.content()]; // the whole DOM: text, attributes, hidden parts
    await ui2.nav("Messages");
    await ui2.messages().getByRole("link", { name: own.id }).waitFor();
    await other.screenshot("second-app-messages");
    pages.push(await other.page.content());
    for (const text of pages) for (const value of foreign) expect(text).not.toContain(value);
  });

  it("loads inside an iframe of an origin listed in PORTAL_FRAME_ANCESTORS", async () => {
    const embedded = await browser.open(host.embed(await portalUrl(gateway, app1.id)), {
      origin: gateway.url,
      topOrigin: host.origin,
    });
    const frame = portal(embedded.page.frameLocator('iframe[title="Webhook portal"]'));
    await frame.nav("Endpoints");
    await frame.endpointLink(endpointUrl).waitFor();
    await embedded.screenshot("embedded");
  });

  it("refuses to load inside an iframe of an origin not listed (frame-ancestors)", async () => {
    const stranger = await startFrameHost();
    try {
      const framed = await browser.open(stranger.embed(await portalUrl(gateway, app1.id)), {
        origin: gateway.url,
        topOrigin: stranger.origin,
      });
      await framed.page.getByRole("heading", { name: "Embedding site" }).waitFor();
      const seen: string[] = [];
      await expect
        .poll(() => {
          seen.push(...framed.takeProblems()); // the refusal is the one console error expected
          return seen;
        }, POLL)
        .toEqual([expect.stringMatching(/^console error: .*frame-ancestors/)]);
      await framed.screenshot("embedded-refused");
    } finally {
      await stranger.close();
    }
  });

  it("says the session ended when the token is not valid", async () => {
    const url = (await portalUrl(gateway, app1.id)).replace(/token=.*$/, `token=appsk_${"A".repeat(43)}`);
    const broken = await browser.open(url, { origin: gateway.url, failedResponses: [401] });
    await portal(broken.page)
      .alert()
      .filter({ hasText: /session/i })
      .waitFor();
    await broken.screenshot("session-ended");
  });
});
