import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMessage } from '../support/channel.js';
import { launchBrowser, newPage, screenshot, setStatus, signIn, workListRow } from '../support/browser.js';
import { startStack, type RunningStack } from '../support/local-stack-process.js';

/**
 * The agent console in Chromium against the real local stack, found by role and name as DESIGN
 * §4b lists them. One browser for the file, a fresh context per agent.
 */
const secret = 'browser-secret';
let stack: RunningStack;
let browser: Browser;
let externalId = 0;

const customerWrites = (from: string, name: string, text: string, queue: string) =>
  postMessage(stack.httpUrl, { externalId: `browser-${++externalId}`, from, name, text, queue }, { secret });

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({
      // Each test has its own queue, so customers reach the agents the test expects; the customer
      // page writes to `default`.
      queues: { default: { slaSeconds: 300 }, 'desk-a': { slaSeconds: 300 }, 'desk-sla': { slaSeconds: 600 }, 'desk-keys': { slaSeconds: 300 } },
      agents: [
        { id: 'ana', name: 'Ana Lima', queues: ['desk-a'], preferredConcurrency: 2, maxLoad: 3 },
        { id: 'ben', name: 'Ben Okafor', queues: ['default'], preferredConcurrency: 1, maxLoad: 3 },
        { id: 'cy', name: 'Cy Tanaka', queues: ['default'], preferredConcurrency: 1, maxLoad: 3 },
        { id: 'dee', name: 'Dee Novak', queues: ['desk-sla'], preferredConcurrency: 2, maxLoad: 3 },
        { id: 'eli', name: 'Eli Brandt', queues: ['desk-keys'], preferredConcurrency: 2, maxLoad: 3 },
      ],
      // No outboundUrl: the local stack delivers replies to the customer page's inbox.
      channels: { generic: { secret } },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The customer's thread as the local stack's customer inbox holds it (infra/local/customer-inbox.ts). */
async function inboxOf(from: string): Promise<Array<{ direction: string; text: string }>> {
  const res = await fetch(`${stack.httpUrl}/dev/customer/messages?from=${encodeURIComponent(from)}`);
  if (res.status !== 200) throw new Error(`customer inbox: ${res.status}`);
  const body = (await res.json()) as { messages?: Array<{ direction: string; text: string }> };
  return body.messages ?? [];
}

/** Signed in as an agent, and online (the Status control shows what Tide has). */
async function onlineAgent(name: string, options: { clock?: boolean } = {}) {
  const opened = await newPage(browser);
  if (options.clock) await opened.page.clock.install();
  await signIn(opened.page, stack.httpUrl, name);
  const status = opened.page.getByRole('combobox', { name: 'Status', exact: true });
  await expect.poll(() => status.isEnabled(), { timeout: 10_000 }).toBe(true);
  await setStatus(opened.page, 'Online');
  await expect.poll(() => status.inputValue(), { timeout: 5_000 }).toBe('online');
  return opened;
}

describe('agent console', () => {
  it('shows a new customer in the work list; the agent reads the history, replies with Enter and closes it', async () => {
    const { page, context, errors } = await onlineAgent('Ana Lima');
    await screenshot(page, 'agent-online-empty');

    expect((await customerWrites('+15550170001', 'Maria Souza', 'My parcel never arrived', 'desk-a')).status).toBe(202);
    const row = workListRow(page, 'Maria Souza');
    await row.waitFor({ timeout: 5_000 });
    expect(await row.innerText()).toMatch(/Waiting on you/);
    expect(await row.innerText()).toContain('My parcel never arrived');

    await row.getByRole('button', { name: /Maria Souza/ }).click();
    const history = page.getByRole('log', { name: 'History' });
    await history.getByText('My parcel never arrived').waitFor({ timeout: 5_000 });
    await screenshot(page, 'agent-conversation-open');

    const reply = page.getByRole('textbox', { name: 'Reply' });
    await reply.fill('Sorry about that: I am sending a new one today.');
    await reply.press('Enter');
    await history.getByText('Sorry about that: I am sending a new one today.').waitFor({ timeout: 5_000 });
    expect(await reply.inputValue()).toBe('');
    await expect.poll(() => row.innerText(), { timeout: 5_000 }).toMatch(/Waiting on the customer/);
    // The reply left through the channel, to this customer (the local inbox is the channel's receiver).
    await expect.poll(() => inboxOf('+15550170001'), { timeout: 5_000 }).toContainEqual(
      expect.objectContaining({ direction: 'out', text: 'Sorry about that: I am sending a new one today.' }),
    );
    // Its delivery status follows: the receiver's 2xx makes it delivered, pushed as a `delivery` frame.
    const sent = history.getByRole('listitem').filter({ hasText: 'Sorry about that: I am sending a new one today.' });
    await expect.poll(() => sent.innerText(), { timeout: 5_000 }).toMatch(/Delivered/);
    await screenshot(page, 'agent-replied');

    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await row.waitFor({ state: 'detached', timeout: 5_000 });
    expect(await workListRow(page, 'Maria Souza').count()).toBe(0);
    expect(errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    await context.close();
  });

  it('a customer on /customer reaches one of two agents, gets the reply on the page, and a transfer with a note moves the conversation', async () => {
    const ben = await onlineAgent('Ben Okafor');

    // The customer writes on the local customer page.
    const customer = await newPage(browser);
    await customer.page.goto(`${stack.httpUrl}/customer`);
    await customer.page.getByRole('textbox', { name: /number or customer id/i }).fill('+15550170002');
    await customer.page.getByRole('textbox', { name: /name/i }).fill('Noor Haddad');
    await customer.page.getByRole('button', { name: 'Start chatting' }).click();
    const message = customer.page.getByRole('textbox', { name: 'Message' });
    await message.fill('Can I change my delivery address?');
    await message.press('Enter');
    const thread = customer.page.getByRole('list', { name: 'Conversation' });
    await thread.getByText('Can I change my delivery address?').waitFor({ timeout: 5_000 });

    const noorAtBen = workListRow(ben.page, 'Noor Haddad');
    await noorAtBen.waitFor({ timeout: 5_000 });
    const cy = await onlineAgent('Cy Tanaka');
    // Ben holds one (his preferred load): the next customer goes to Cy.
    expect((await customerWrites('+15550170003', 'Olu Bello', 'Is the shop open on Sunday?', 'default')).status).toBe(202);
    await workListRow(cy.page, 'Olu Bello').waitFor({ timeout: 5_000 });
    expect(await workListRow(ben.page, 'Olu Bello').count()).toBe(0);
    expect(await workListRow(cy.page, 'Noor Haddad').count()).toBe(0);

    // Ben answers; the reply reaches the customer's page.
    await noorAtBen.getByRole('button', { name: /Noor Haddad/ }).click();
    await ben.page.getByRole('log', { name: 'History' }).getByText('Can I change my delivery address?').waitFor();
    await ben.page.getByRole('textbox', { name: 'Reply' }).fill('Yes: what is the new address?');
    await ben.page.getByRole('button', { name: 'Send', exact: true }).click();
    await thread.getByText('Yes: what is the new address?').waitFor({ timeout: 5_000 });
    await screenshot(customer.page, 'customer-got-reply');

    // The customer answers, and Ben hands the conversation to Cy with a note.
    await message.fill('12 Harbour Street, Leith');
    await message.press('Enter');
    await ben.page.getByRole('log', { name: 'History' }).getByText('12 Harbour Street, Leith').waitFor({ timeout: 5_000 });
    await ben.page.getByRole('button', { name: 'Transfer', exact: true }).click();
    const dialog = ben.page.getByRole('dialog', { name: 'Transfer the conversation' });
    await dialog.getByRole('radio', { name: 'An agent' }).check();
    await dialog.getByRole('combobox', { name: 'Agent id' }).or(dialog.getByRole('textbox', { name: 'Agent id' })).fill('cy');
    await dialog.getByRole('textbox', { name: /Note/ }).fill('Address change approved, please confirm with her.');
    await screenshot(ben.page, 'agent-transfer-dialog');
    await dialog.getByRole('button', { name: 'Hand over' }).click();

    await noorAtBen.waitFor({ state: 'detached', timeout: 5_000 });
    const moved = workListRow(cy.page, 'Noor Haddad');
    await moved.waitFor({ timeout: 5_000 });
    expect(await moved.innerText()).toContain('Address change approved, please confirm with her.');
    await moved.getByRole('button', { name: /Noor Haddad/ }).click();
    // Cy reads the whole history, Ben's reply included.
    const cyHistory = cy.page.getByRole('log', { name: 'History' });
    await cyHistory.getByText('Yes: what is the new address?').waitFor({ timeout: 5_000 });
    await cyHistory.getByText('12 Harbour Street, Leith').waitFor();
    await screenshot(cy.page, 'agent-transferred-in');
    await Promise.all([ben.context.close(), cy.context.close(), customer.context.close()]);
  });

  it('works from the keyboard: j/k move, Enter opens, r replies, e closes, ? lists the keys; nothing fires while typing or with Alt', async () => {
    const { page, context } = await onlineAgent('Eli Brandt');
    expect((await customerWrites('+15550170005', 'Oona Berg', 'Where is my refund?', 'desk-keys')).status).toBe(202);
    await workListRow(page, 'Oona Berg').waitFor({ timeout: 5_000 });
    expect((await customerWrites('+15550170006', 'Pavel Horak', 'Can I pay by invoice?', 'desk-keys')).status).toBe(202);
    await workListRow(page, 'Pavel Horak').waitFor({ timeout: 5_000 });
    const focusedRow = () => page.locator('li:has(:focus)').last().textContent();
    // The list in Tide's order: the first to write waits longest, so it comes first.
    const rows = page.getByRole('list', { name: 'Work list' }).getByRole('listitem');
    const first = (await rows.first().innerText()).includes('Oona Berg') ? 'Oona Berg' : 'Pavel Horak';
    const second = first === 'Oona Berg' ? 'Pavel Horak' : 'Oona Berg';

    await page.locator('body').press('j');
    expect(await focusedRow()).toContain(first);
    await page.keyboard.press('j');
    expect(await focusedRow()).toContain(second);
    await page.keyboard.press('Alt+k'); // no Alt+letter shortcuts
    expect(await focusedRow()).toContain(second);
    await page.keyboard.press('k');
    expect(await focusedRow()).toContain(first);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: first, exact: true }).waitFor({ timeout: 5_000 });

    await page.keyboard.press('r');
    const reply = page.getByRole('textbox', { name: 'Reply' });
    expect(await page.getByRole('textbox', { name: 'Reply' }).and(page.locator(':focus')).count()).toBe(1);
    await page.keyboard.type('just a moment, je kijk even'); // j, k and e typed are text, not shortcuts
    expect(await reply.inputValue()).toBe('just a moment, je kijk even');
    expect(await workListRow(page, first).count()).toBe(1);
    await reply.fill('');

    await page.locator(':focus').blur();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.innerText()).toMatch(/Next conversation/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    await page.keyboard.press('e');
    await workListRow(page, first).waitFor({ state: 'detached', timeout: 5_000 });
    expect(await workListRow(page, second).count()).toBe(1);
    await context.close();
  });

  it('counts the SLA down with the page clock, and shows due-soon and breached in words and icon, not colour alone', async () => {
    const { page, context } = await onlineAgent('Dee Novak', { clock: true });
    expect((await customerWrites('+15550170004', 'Pia Lund', 'My card was charged twice', 'desk-sla')).status).toBe(202);
    const row = workListRow(page, 'Pia Lund');
    await row.waitFor({ timeout: 5_000 });
    const sla = row.locator('.sla');
    await expect.poll(() => sla.textContent(), { timeout: 5_000 }).toMatch(/(9:\d\d|10:00) left/);
    expect(await row.textContent()).not.toMatch(/Due soon|overdue|breached/i);

    // setSystemTime moves the page's clock without firing its timers, so no ping is answered with
    // the server's time (which would correct the offset, as it should for a wrong laptop clock).
    const start = await page.evaluate(() => Date.now());
    // A 10-minute SLA is due soon in its last quarter: not with 4 minutes left, with 2.
    await page.clock.setSystemTime(start + 6 * 60_000);
    await expect.poll(() => sla.textContent(), { timeout: 3_000 }).toMatch(/[34]:\d\d left/);
    expect(await sla.textContent()).not.toMatch(/Due soon/);
    await page.clock.setSystemTime(start + 8 * 60_000);
    await expect.poll(() => sla.textContent(), { timeout: 3_000 }).toMatch(/Due soon/);
    expect(await sla.textContent()).toMatch(/[12]:\d\d left/);
    expect(await sla.locator('svg').count()).toBe(1);
    await screenshot(page, 'agent-sla-due-soon');

    await page.clock.setSystemTime(start + 11 * 60_000);
    await expect.poll(() => sla.textContent(), { timeout: 3_000 }).toMatch(/SLA breached/);
    expect(await sla.textContent()).toMatch(/overdue [01]:\d\d/);
    expect(await sla.innerText()).toMatch(/overdue/); // visible words, not only for screen readers
    expect(await sla.locator('svg').count()).toBe(1);
    await screenshot(page, 'agent-sla-breached');
    await context.close();
  });
});
