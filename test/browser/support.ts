// Browser-test support: one headless Chromium per test file (Debian's `chromium`, driven by
// playwright-core), pages that record everything that should never happen on a page of the
// gateway (console errors, uncaught errors, requests to another origin) and fail the test
// that let it happen, and screenshots under test-artifacts/browser/ (git-ignored).
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page, type Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
export const ARTIFACTS = join(ROOT, "test-artifacts/browser");

/**
 * Options for vitest's expect.poll on a page: what a page shows after a fetch, or an event
 * Chromium reports, can take seconds on a loaded machine (expect.poll's default is 1 s).
 */
export const POLL = { timeout: 30_000, interval: 250 } as const;

/** Debian's chromium unless CHROMIUM_PATH names another build. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || "/usr/bin/chromium";
}

/** Chromium's sandbox needs user namespaces, which a root user in a container lacks. */
function launchArgs(): string[] {
  return process.getuid?.() === 0 ? ["--no-sandbox"] : [];
}

/** URLs that never leave the browser, so no origin rule applies to them. */
function isLocalScheme(url: string): boolean {
  return /^(data|blob|about|chrome-error):/.test(url);
}

export interface WatchOptions {
  /** The gateway's origin: every frame of the page may talk to it, and to nothing else. */
  origin: string;
  /**
   * The origin of the embedding page, when the page opened is another site's page holding the
   * gateway in an iframe: its main frame may then use this origin (and only this one), and the
   * gateway rule applies to the child frames only.
   */
  topOrigin?: string;
}

export interface WatchedPage {
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/browser/<suite>/<nn>-<name>.png. */
  screenshot(name: string): Promise<string>;
  /**
   * Allows the one console error Chromium logs for a response with this status ("Failed to
   * load resource: ... status of 422"), for a test that provokes an API error on purpose.
   */
  allowFailedResponse(status: number, times?: number): void;
  /** What went wrong since the last call (and forgets it). */
  takeProblems(): string[];
}

function watch(page: Page, opts: WatchOptions, shoot: (name: string) => Promise<string>): WatchedPage {
  const problems: string[] = [];
  const allowed = new Map<number, number>(); // status -> console errors still allowed
  const expectedOrigin = (req: Request): string => {
    try {
      return opts.topOrigin && req.frame() === page.mainFrame() ? opts.topOrigin : opts.origin;
    } catch {
      return opts.origin; // a service worker's request has no frame
    }
  };
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const status = Number(/^Failed to load resource: .*status of (\d{3})/.exec(msg.text())?.[1]);
    const left = allowed.get(status) ?? 0;
    if (left > 0) {
      allowed.set(status, left - 1);
      return;
    }
    problems.push(`console error: ${msg.text()} (at ${msg.location().url || page.url()})`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("request", (req) => {
    const url = req.url();
    if (isLocalScheme(url)) return;
    const expected = expectedOrigin(req);
    if (new URL(url).origin !== expected) {
      problems.push(`request to another origin: ${req.method()} ${url} (allowed: ${expected})`);
    }
  });
  return {
    page,
    screenshot: shoot,
    allowFailedResponse: (status, times = 1) => {
      allowed.set(status, (allowed.get(status) ?? 0) + times);
    },
    takeProblems: () => problems.splice(0),
  };
}

export interface BrowserSuite {
  /**
   * Opens `url` in a new browser context (its own cookies and storage) and watches it;
   * `failedResponses` are statuses whose console errors this page may log any number of times.
   */
  open(url: string, opts: WatchOptions & { failedResponses?: number[] }): Promise<WatchedPage>;
}

/**
 * Registers the hooks of a browser test file: Chromium starts once before its tests and stops
 * after them; after each test, the problems every page recorded during it fail that test; a
 * failed test also leaves a screenshot of each open page. `suite` names the screenshot folder.
 */
export function useBrowser(suite: string): BrowserSuite {
  const dir = join(ARTIFACTS, suite);
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pages: WatchedPage[] = [];
  let shots = 0;

  const shoot = (page: Page) => async (name: string) => {
    const file = join(dir, `${String(++shots).padStart(2, "0")}-${name.replace(/[^\w.-]+/g, "-")}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true }); // this run's screenshots only
    mkdirSync(dir, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: launchArgs() });
  });
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      for (const p of pages) {
        if (!p.page.isClosed()) await p.screenshot(`failed-${ctx.task.name}`).catch(() => {});
      }
    });
  });
  afterEach(() => {
    const problems = pages.flatMap((p) => p.takeProblems());
    if (problems.length > 0) throw new Error(`the browser saw:\n${problems.join("\n")}`);
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
  });

  return {
    async open(url, opts) {
      if (!browser) throw new Error("useBrowser: the browser is not running (call open() inside a test)");
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      const watched = watch(page, opts, shoot(page));
      for (const status of opts.failedResponses ?? []) watched.allowFailedResponse(status, Infinity);
      pages.push(watched);
      await page.goto(url);
      return watched;
    },
  };
}

export interface FrameHost {
  origin: string;
  /** A page on this origin whose only content is an iframe of `src`; returns its URL. */
  embed(src: string): string;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tiny site on another local origin that embeds pages of the gateway in an iframe. */
export async function startFrameHost(): Promise<FrameHost> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const src = pages.get(req.url ?? "");
    if (req.url === "/favicon.ico") {
      res.writeHead(204).end(); // Chromium asks for it: a 404 would log a console error
      return;
    }
    if (src === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Embedding site</title>` +
        `<link rel="icon" href="data:,"></head><body><h1>Embedding site</h1>` +
        `<iframe title="Webhook portal" src="${escapeHtml(src)}" width="1200" height="800"></iframe></body></html>`,
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    embed(src) {
      const path = `/embed/${pages.size + 1}`;
      pages.set(path, src);
      return `${origin}${path}`;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
