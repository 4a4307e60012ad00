// Shared set-up for the browser tests (test/e2e): a demo server as a child process, Debian's
// Chromium through playwright-core, axe-core on every page, screenshots, and the API as a signed-in
// demo user (for arranging what a test does not exercise in the browser). The same helpers as
// story.test.ts, in a module of their own.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/process.ts';

export const CHROMIUM = process.env.VILLAGE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

// Screenshots replace the committed ones in docs/screenshots/ only with VILLAGE_UPDATE_SCREENSHOTS=1.
export const SHOTS =
  process.env.VILLAGE_UPDATE_SCREENSHOTS === '1' ? path.resolve('docs', 'screenshots') : path.resolve('.tmp', 'screenshots');
const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Login {
  email: string;
  password: string;
}

export class E2E {
  server!: ServerProcess;
  baseURL = '';
  browser!: Browser;
  dataDir = '';
  /** Demo logins by name: operator, coordinator, researcher, or the vendor's domain (acme-networks.example). */
  readonly logins: Record<string, Login> = {};
  /** CSP violations and page errors seen by any page: a test fails on any. */
  readonly problems: string[] = [];

  async start(): Promise<void> {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-e2e-'));
    // http://localhost:<port>: passkeys need a domain name as relying-party id, not an IP address.
    this.server = await startServerProcess(
      (port) => ({
        VILLAGE_PUBLIC_URL: `http://localhost:${port}`,
        VILLAGE_DATA_DIR: this.dataDir,
        VILLAGE_DEMO: '1',
        VILLAGE_COOKIE_SECURE: '0',
        VILLAGE_LOG_LEVEL: 'warn',
      }),
      120_000,
    );
    this.baseURL = this.server.url.replace('127.0.0.1', 'localhost');
    for (const line of fs.readFileSync(path.join(this.dataDir, 'demo-logins.txt'), 'utf8').trim().split('\n')) {
      const [, email, password] = line.split('\t');
      if (!email || !password) continue;
      const [local = '', domain = ''] = email.split('@');
      this.logins[local === 'psirt' ? domain : local] = { email, password };
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  async newContext(viewport = DESKTOP): Promise<BrowserContext> {
    const ctx = await this.browser.newContext({
      viewport,
      baseURL: this.baseURL,
      timezoneId: 'Europe/Brussels',
      locale: 'en-GB',
    });
    ctx.setDefaultTimeout(15_000);
    // A first page load on a busy machine (the bundle, the fonts) may take longer than an action.
    ctx.setDefaultNavigationTimeout(30_000);
    ctx.on('page', (p) => this.watch(p));
    return ctx;
  }

  private watch(page: Page) {
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) this.problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`${page.url()}: ${e.message}`));
  }

  async signIn(page: Page, who: string | Login): Promise<void> {
    const l = typeof who === 'string' ? this.logins[who] : who;
    if (!l) throw new Error(`no demo login for ${String(who)}`);
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(l.email);
    await page.getByLabel('Password').fill(l.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  }

  /** The JSON API as a user (a session cookie and its CSRF token), for arranging a test's world. */
  async api(who: string | Login): Promise<<T>(method: string, url: string, body?: unknown) => Promise<T>> {
    const l = typeof who === 'string' ? this.logins[who] : who;
    if (!l) throw new Error(`no demo login for ${String(who)}`);
    const res = await fetch(`${this.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(l),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const raw = typeof body === 'string';
      const r = await fetch(`${this.server.url}/api/v1${url}`, {
        method,
        headers: {
          cookie,
          'x-csrf-token': csrfToken,
          ...(body === undefined ? {} : { 'content-type': raw ? 'application/vnd.cyclonedx+json' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
      });
      const text = await r.text();
      expect(r.ok, `${method} ${url}: ${r.status} ${text}`).toBe(true);
      return (text ? JSON.parse(text) : undefined) as T;
    };
  }
}

/** axe-core on the page as it is now; fails with every violation listed. */
export async function checkA11y(page: Page, what: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: unknown[] }> } };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return (r.violations as Array<{ id: string; help: string; nodes: Array<{ target: string[] }> }>).map(
      (v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  });
  expect(violations, `axe-core violations on ${what}`).toEqual([]);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Visit-time checks for a page: accessibility and a screenshot. */
export async function look(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await checkA11y(page, name);
  await shot(page, name);
}

/**
 * The page does not scroll sideways: nothing is wider than the screen, except inside tables that
 * scroll on their own (`.table-wrap`, unless `tables` is true). The elements sticking out, when it does.
 */
export async function tooWide(page: Page, { tables = false }: { tables?: boolean } = {}): Promise<string[]> {
  return page.evaluate((tables) => {
    const limit = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= limit) return [];
    return [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > limit + 1 && (tables || !e.closest('.table-wrap')))
      .slice(0, 8)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
  }, tables);
}
