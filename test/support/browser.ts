import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (playwright-core downloads no browser, and
 * `npx playwright install` cannot reach its CDN here). Without the background-networking flags
 * Chromium's own requests are refused on a closed network and connections fail.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
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

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

/** Saves a full-page screenshot as test-output/screenshots/<name>.png (for people reviewing a run). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name.replace(/[^\w.-]+/g, '-')}.png`), fullPage: true });
}

/**
 * A fresh context per test (no shared storage, so each signs in afresh). Page errors and console
 * errors are collected: a test can assert the page ran cleanly.
 */
export async function newPage(browser: Browser, options: { viewport?: { width: number; height: number } } = {}) {
  const context: BrowserContext = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** The local sign-in screen: a button per configured agent (by name), and "Supervisor". */
export async function signIn(page: Page, baseUrl: string, who: string, path = '/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByRole('button', { name: who, exact: true }).click();
}

/**
 * The control named "Status" (DESIGN §4b) may be a select, a radio group or a menu of buttons:
 * this sets it by the option's visible name (Online, Away, Offline) whichever it is.
 */
export async function setStatus(page: Page, status: 'Online' | 'Away' | 'Offline'): Promise<void> {
  const select = page.getByRole('combobox', { name: 'Status' });
  if ((await select.count()) > 0) {
    await select.selectOption({ label: status });
    return;
  }
  const group = page.getByRole('radiogroup', { name: 'Status' }).or(page.getByRole('group', { name: 'Status' }));
  if ((await group.count()) > 0) {
    await group.getByRole('radio', { name: status }).or(group.getByRole('button', { name: status })).first().click();
    return;
  }
  await page.getByRole('button', { name: 'Status' }).click();
  await page.getByRole('menuitemradio', { name: status }).or(page.getByRole('menuitem', { name: status })).first().click();
}

/** The work list's row of a customer (by the name or id it shows). */
export const workListRow = (page: Page, customer: string | RegExp): Locator =>
  page.getByRole('list', { name: 'Work list' }).getByRole('listitem').filter({ hasText: customer });

/** A table row of a named table (Queues, Agents) that mentions `text`. */
export const tableRow = (page: Page, table: string, text: string | RegExp): Locator =>
  page.getByRole('table', { name: table }).getByRole('row').filter({ hasText: text });

/** The text of the cell in `row` under the column headed `column`. */
export async function cellUnder(page: Page, table: string, row: Locator, column: string | RegExp): Promise<string> {
  const headers = await page.getByRole('table', { name: table }).getByRole('columnheader').allInnerTexts();
  const index = headers.findIndex((h) => (typeof column === 'string' ? h.trim().toLowerCase() === column.toLowerCase() : column.test(h)));
  if (index < 0) throw new Error(`table ${table} has no column ${column}; it has ${JSON.stringify(headers)}`);
  return (await row.getByRole('cell').or(row.getByRole('rowheader')).nth(index).innerText()).trim();
}
