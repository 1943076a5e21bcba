// Helpers of test/browser/portal.test.ts: admin calls, the receiver's deliveries, and the
// portal's controls by the accessible names of the issue 12 contract
// (the portal-contract "UI labels" list). A renamed label is fixed here, once.
import type { FrameLocator, Locator } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import type { Gateway, ReceivedRequest } from "../e2e/harness";
import { POLL } from "./support";

/** An admin call that must succeed; answers the JSON body (null for 204). */
export async function admin<T>(gateway: Gateway, method: string, path: string, body?: unknown): Promise<T> {
  const res = await gateway.api(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}

/** An event type with a description and a JSON schema whose example is `example`. */
export function eventTypeIn(name: string, description: string, example: Record<string, unknown>) {
  const properties = Object.fromEntries(
    Object.entries(example).map(([k, v]) => [k, { type: typeof v === "number" ? "integer" : "string" }]),
  );
  return {
    name,
    description,
    schemas: { "1": { type: "object", properties, required: Object.keys(example), examples: [example] } },
  };
}

/**
 * The portal url of an application (admin), as a product's backend would fetch it; `access`
 * is the AppPortalAccessIn body (e.g. `{ readOnly: true }`).
 */
export async function portalUrl(
  gateway: Gateway,
  appId: string,
  access: Record<string, unknown> = {},
): Promise<string> {
  const { url, token } = await admin<{ url: string; token: string }>(
    gateway,
    "POST",
    `/api/v1/auth/app-portal-access/${appId}`,
    access,
  );
  expect(token).toMatch(/^appsk_[\w-]{43}$/);
  // The fragment ends with the token's capabilities (the page hides what they do not allow).
  const prefix = `${gateway.url}/portal#app=${appId}&token=${token}&capabilities=`;
  expect(url.slice(0, prefix.length)).toBe(prefix);
  expect(url.slice(prefix.length)).toMatch(/^\w+(,\w+)*$/);
  return url;
}

export async function endpointSecret(gateway: Gateway, appId: string, endpointId: string): Promise<string> {
  return (await admin<{ key: string }>(gateway, "GET", `/api/v1/app/${appId}/endpoint/${endpointId}/secret`))
    .key;
}

/** True when `secret` alone verifies this delivery (standardwebhooks, as a receiver would). */
export function verifies(req: ReceivedRequest, secret: string): boolean {
  try {
    new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

/** The delivery once per signature it carries, each copy with that one signature only. */
export function bySignature(req: ReceivedRequest): ReceivedRequest[] {
  return String(req.headers["webhook-signature"])
    .split(" ")
    .map((sig) => ({ ...req, headers: { ...req.headers, "webhook-signature": sig } }));
}

export const webhookId = (req: ReceivedRequest) => String(req.headers["webhook-id"]);

/** A table's data rows (rows holding cells, not the header's column headers). */
export function dataRows(table: Locator): Locator {
  return table.getByRole("row").filter({ has: table.page().getByRole("cell") });
}

/** The text a control shows: an input's value, or an element's text. */
export function shownText(locator: Locator): Promise<string> {
  return locator.evaluate((el) =>
    el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ? el.value : (el.textContent ?? ""),
  );
}

/** Sets a filter or picker that may be a <select> or a text field. */
export async function choose(field: Locator, value: string): Promise<void> {
  const tag = await field.evaluate((el) => el.tagName);
  if (tag === "SELECT") await field.selectOption(value);
  else await field.fill(value);
}

// "Event type" but not "Event types"; not exact, as a <select> inside its <label> adds the
// selected option's text to the name.
const EVENT_TYPE = /^Event type\b/;

/** Where the portal is: a page, or the frame of a page that embeds it. */
type Scope = Pick<FrameLocator, "getByRole" | "getByLabel">;

/** The portal page and its controls, named as the contract names them. */
export function portal(main: Scope) {
  return {
    nav: (name: "Endpoints" | "Messages" | "Event catalog") =>
      main.getByRole("link", { name, exact: true }).click(),
    alert: () => main.getByRole("alert"),
    endpointLink: (url: string) => main.getByRole("link", { name: url, exact: true }),
    endpointHeading: (url: string) => main.getByRole("heading", { level: 1, name: url }),
    addEndpoint: () => main.getByRole("button", { name: "Add endpoint" }),
    endpointUrlField: () => main.getByLabel("Endpoint URL"),
    descriptionField: () => main.getByLabel(/^Description\b/),
    eventTypesGroup: () => main.getByRole("group", { name: "Event types" }),
    createEndpoint: () => main.getByRole("button", { name: "Create endpoint" }),
    testEventType: () => main.getByRole("combobox", { name: EVENT_TYPE }),
    sendTestEvent: () => main.getByRole("button", { name: "Send test event" }),
    deliveryAttempts: () => main.getByRole("table", { name: "Delivery attempts" }),
    refresh: () => main.getByRole("button", { name: "Refresh" }),
    revealSecret: () => main.getByRole("button", { name: "Reveal secret" }),
    secret: () => main.getByLabel("Signing secret"),
    rotateSecret: () => main.getByRole("button", { name: "Rotate secret" }),
    confirmRotate: () => main.getByRole("dialog").getByRole("button", { name: "Rotate", exact: true }),
    messages: () => main.getByRole("table", { name: "Messages" }),
    messageLink: (msgId: string) => main.getByRole("link", { name: msgId }),
    eventTypeFilter: () => main.getByLabel(EVENT_TYPE),
    applyFilters: () => main.getByRole("button", { name: "Apply filters" }),
    payload: () => main.getByLabel("Payload", { exact: true }),
    attempts: () => main.getByRole("table", { name: "Attempts", exact: true }),
    resend: () => main.getByRole("button", { name: "Resend" }),
  };
}

export type Portal = ReturnType<typeof portal>;

/** Opens an endpoint's detail page from the Endpoints page. */
export async function openEndpoint(ui: Portal, url: string): Promise<void> {
  await ui.nav("Endpoints");
  await ui.endpointLink(url).click();
  await ui.endpointHeading(url).waitFor();
}

/** Opens a message's page from the Messages page (unfiltered: the page is opened afresh). */
export async function openMessage(ui: Portal, msgId: string): Promise<void> {
  await ui.nav("Messages");
  await ui.messageLink(msgId).click();
  await ui.payload().waitFor();
}

/** Sends the example of `eventType` from the endpoint page open now. */
export async function sendTestEvent(ui: Portal, eventType: string): Promise<void> {
  await ui.testEventType().selectOption(eventType);
  await ui.sendTestEvent().click();
}

/**
 * Presses "Refresh" until the delivery attempts table's rows (their text) satisfy the
 * expectation: the attempt is written after the delivery, so it shows up a moment later.
 */
export function pollAttempts(ui: Portal) {
  return expect.poll(async () => {
    await ui.refresh().click();
    return dataRows(ui.deliveryAttempts()).allInnerTexts();
  }, POLL);
}
