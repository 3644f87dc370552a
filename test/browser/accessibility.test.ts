import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMessage } from '../support/channel.js';
import { launchBrowser, newPage, screenshot, screenshotDir, setStatus, signIn, workListRow } from '../support/browser.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * WCAG 2.0/2.1 A and AA, as axe-core checks them, on the sign-in screen, the agent console (with
 * a conversation open and with each dialog open), the supervisor view and the local customer page,
 * in light and dark colour schemes. Any serious or critical violation fails; every violation
 * found, of any impact, is written to test-output/accessibility.json.
 */
const secret = 'browser-secret';
let stack: RunningStack;
let browser: Browser;
const found: Record<string, Array<{ id: string; impact: string | null | undefined; help: string; nodes: string[] }>> = {};

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({
      queues: { default: { slaSeconds: 300 } },
      agents: [
        { id: 'fin', name: 'Fin Walsh', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
        { id: 'gia', name: 'Gia Rossi', queues: ['default'], preferredConcurrency: 2, maxLoad: 3 },
      ],
      channels: { generic: { secret, outboundUrl: 'http://127.0.0.1:9/out' } },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  mkdirSync(join(screenshotDir, '..'), { recursive: true });
  writeFileSync(join(screenshotDir, '..', 'accessibility.json'), JSON.stringify(found, null, 2));
  await browser?.close();
  await stack?.stop();
});

/** Runs axe on the page as it is; returns the serious and critical violations, records them all. */
async function audit(page: Page, name: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  found[name] = result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  if (result.violations.length > 0) console.log(`axe, ${name}:\n${found[name].map((v) => `  [${v.impact}] ${v.id}: ${v.help} — ${v.nodes.join(', ')}`).join('\n')}`);
  return found[name].filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

describe.each(['light', 'dark'] as const)('accessibility (%s colour scheme)', (scheme) => {
  it('sign-in screen', async () => {
    const { page, context } = await newPage(browser);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${stack.httpUrl}/`);
    await page.getByRole('button', { name: 'Supervisor', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Fin Walsh', exact: true }).waitFor();
    expect(await audit(page, `sign-in, ${scheme}`)).toEqual([]);
    await context.close();
  });

  it('agent console with a conversation open, and its dialogs', async () => {
    const { page, context } = await newPage(browser);
    await page.emulateMedia({ colorScheme: scheme });
    const agent = scheme === 'light' ? 'Fin Walsh' : 'Gia Rossi';
    await signIn(page, stack.httpUrl, agent);
    const status = page.getByRole('combobox', { name: 'Status', exact: true });
    await expect.poll(() => status.isEnabled(), { timeout: 10_000 }).toBe(true);
    await setStatus(page, 'Online');
    await expect.poll(() => status.inputValue()).toBe('online');
    const customer = scheme === 'light' ? 'Quinn Avery' : 'Rae Dubois';
    await postMessage(stack.httpUrl, { externalId: `a11y-${scheme}`, from: `+1555019${scheme === 'light' ? '0001' : '0002'}`, name: customer, text: 'Do you ship to Norway?' }, { secret });
    const row = workListRow(page, customer);
    await row.waitFor({ timeout: 5_000 });
    expect(await audit(page, `agent work list, ${scheme}`)).toEqual([]);

    await row.getByRole('button', { name: new RegExp(customer) }).click();
    await page.getByRole('log', { name: 'History' }).getByText('Do you ship to Norway?').waitFor();
    await page.getByRole('textbox', { name: 'Reply' }).fill('We do, in 3 to 5 days.');
    await page.getByRole('textbox', { name: 'Reply' }).press('Enter');
    await page.getByRole('log', { name: 'History' }).getByText('We do, in 3 to 5 days.').waitFor();
    await screenshot(page, `a11y-agent-${scheme}`);
    expect(await audit(page, `agent conversation, ${scheme}`)).toEqual([]);

    for (const [button, dialog] of [
      ['Follow up', /follow/i],
      ['Transfer', /transfer/i],
    ] as const) {
      await page.getByRole('button', { name: button, exact: true }).click();
      await page.getByRole('dialog', { name: dialog }).waitFor();
      expect(await audit(page, `agent ${button} dialog, ${scheme}`)).toEqual([]);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog', { name: dialog }).waitFor({ state: 'hidden' });
    }
    await context.close();
  });

  it('customer page (local stack)', async () => {
    const { page, context } = await newPage(browser);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${stack.httpUrl}/customer`);
    await page.getByRole('button', { name: 'Start chatting' }).waitFor();
    expect(await audit(page, `customer start, ${scheme}`)).toEqual([]);
    await page.getByRole('button', { name: 'Start chatting' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello there');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await page.getByRole('list', { name: 'Conversation' }).getByText('Hello there').waitFor({ timeout: 5_000 });
    expect(await audit(page, `customer chat, ${scheme}`)).toEqual([]);
    await context.close();
  });

  it('supervisor view', async () => {
    const { page, context } = await newPage(browser);
    await page.emulateMedia({ colorScheme: scheme });
    await signIn(page, stack.httpUrl, 'Supervisor');
    await page.waitForURL(/\/supervisor/);
    await page.getByRole('table', { name: 'Agents' }).getByRole('row').filter({ hasText: 'Fin Walsh' }).waitFor({ timeout: 10_000 });
    await page.getByRole('table', { name: 'Queues' }).waitFor();
    await screenshot(page, `a11y-supervisor-${scheme}`);
    expect(await audit(page, `supervisor, ${scheme}`)).toEqual([]);
    await context.close();
  });
});
