import AxeBuilder from '@axe-core/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../support/agent-client.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * The `/customer` page in Chromium against `npm start`: a newcomer picks a number, writes, an agent
 * (over the real WebSocket) answers, and the answer appears on the page without a reload.
 */
let stack: RunningStack;
let browser: Browser;
let alice: AgentClient;

beforeAll(async () => {
  stack = await startStack({
    agents: [{ id: 'alice', name: 'Alice', queues: ['default'], preferredConcurrency: 3, maxLoad: 5 }],
    channels: { generic: { secret: 'page-secret' } },
  });
  browser = await launchBrowser();
  alice = await AgentClient.connect(stack, 'alice');
  expect((await alice.request({ action: 'setStatus', status: 'online' })).type).toBe('ack');
});
afterAll(async () => {
  await alice?.close();
  await browser?.close();
  expect(await stack.stop()).toBe(0);
});

describe('the customer page', () => {
  it('sends as the chosen customer, shows the agent’s reply live, remembers who the customer is, and has no accessibility violations', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${stack.httpUrl}/customer`);
    await page.getByLabel('Your number or customer id').fill('+15550177');
    await page.getByLabel('Your name (optional)').fill('Ana');
    await page.getByRole('button', { name: 'Start chatting' }).click();

    const message = page.getByRole('textbox', { name: 'Message' });
    const sendButton = page.getByRole('button', { name: 'Send' });
    await expect.poll(() => sendButton.isDisabled()).toBe(true);
    await message.fill('My order has not arrived');
    await sendButton.click();
    const conversation = page.getByRole('list', { name: 'Conversation' });
    await conversation.getByText('My order has not arrived').waitFor();
    expect(await message.inputValue()).toBe('');

    const list = await alice.waitForWorklist((w) => w.items.some((i) => i.customer.id === '+15550177'));
    const item = list.items.find((i) => i.customer.id === '+15550177')!;
    expect(item.lastMessage.text).toBe('My order has not arrived');
    expect((await alice.request({ action: 'send', conversationId: item.conversationId, text: 'Sorry, Ana! Let me check.' })).type).toBe('ack');
    // Polled every second: well within the time an agent's reply takes to be delivered.
    await conversation.getByText('Sorry, Ana! Let me check.').waitFor({ timeout: 8_000 });
    expect(await conversation.getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringMatching(/My order has not arrived[\s\S]*You/),
      expect.stringMatching(/Sorry, Ana! Let me check\.[\s\S]*Agent/),
    ]);

    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await screenshot(page, 'customer-page');

    // Enter sends too; a reload keeps the customer and the thread.
    await message.fill('Thanks, waiting');
    await message.press('Enter');
    await conversation.getByText('Thanks, waiting').waitFor();
    await page.reload();
    await page.getByRole('list', { name: 'Conversation' }).getByText('Sorry, Ana! Let me check.').waitFor();
    expect(await page.getByText('Writing as Ana (+15550177)').count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the choice screen passes the accessibility checks', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${stack.httpUrl}/customer/`);
    await page.getByRole('button', { name: 'Start chatting' }).waitFor();
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
