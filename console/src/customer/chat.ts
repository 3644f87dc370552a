import { computed, signal } from '@preact/signals';

/**
 * The customer page's state: who the customer is (remembered in this browser), their thread as
 * the local stack's inbox holds it (infra/local/customer-inbox.ts, polled every second), and the
 * messages still on their way. A message keeps the id it was first sent with, so sending it again
 * after a failure is stored once.
 */
export interface Customer {
  id: string;
  name?: string;
}

export interface ThreadMessage {
  id: string;
  direction: 'in' | 'out';
  text: string;
  at: string;
}

export interface Outgoing {
  /** The page's id, sent as `id` (the inbound externalId): a retry is stored once. */
  id: string;
  text: string;
  state: 'sending' | 'failed';
  error?: string;
}

const customerKey = 'tide.customer';
const pollMs = 1000;

export const customer = signal<Customer | undefined>(readCustomer());
export const thread = signal<ThreadMessage[]>([]);
/** False when the local config names its own outboundUrl: replies are delivered there, not here. */
export const receivesReplies = signal(true);
export const outgoing = signal<Outgoing[]>([]);
export const pollError = signal<string | undefined>(undefined);
/** Agent replies seen so far: a new one is announced. */
export const replyCount = computed(() => thread.value.filter((m) => m.direction === 'out').length);

function readCustomer(): Customer | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(customerKey) ?? 'null') as Partial<Customer> | null;
    return value && typeof value.id === 'string' && value.id ? { id: value.id, ...(typeof value.name === 'string' && value.name ? { name: value.name } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

export function chooseCustomer(next: Customer | undefined): void {
  try {
    if (next) localStorage.setItem(customerKey, JSON.stringify(next));
    else localStorage.removeItem(customerKey);
  } catch {
    // Not remembered; this page still works.
  }
  customer.value = next;
  thread.value = [];
  outgoing.value = [];
  pollError.value = undefined;
}

async function errorOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? `HTTP ${response.status}`;
}

export async function refresh(): Promise<void> {
  const who = customer.value;
  if (!who) return;
  try {
    const response = await fetch(`/dev/customer/messages?from=${encodeURIComponent(who.id)}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(await errorOf(response));
    const body = (await response.json()) as { customer: string; receivesReplies: boolean; messages: ThreadMessage[] };
    // The customer changed while this was on its way.
    if (customer.value?.id !== body.customer) return;
    thread.value = body.messages;
    receivesReplies.value = body.receivesReplies;
    pollError.value = undefined;
  } catch (error) {
    pollError.value = `New replies cannot be fetched (${(error as Error).message}). Retrying…`;
  }
}

/** Polls while the page is open; returns the stop function. */
export function startPolling(): () => void {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    void refresh().finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, pollMs);
  return () => clearInterval(timer);
}

const newId = () => crypto.randomUUID();

export async function send(text: string, retryOf?: Outgoing): Promise<boolean> {
  const who = customer.value;
  if (!who || !text.trim()) return false;
  const message: Outgoing = { id: retryOf?.id ?? newId(), text, state: 'sending' };
  outgoing.value = [...outgoing.value.filter((m) => m.id !== message.id), message];
  const settle = (change: Partial<Outgoing> | undefined) => {
    outgoing.value = change ? outgoing.value.map((m) => (m.id === message.id ? { ...m, ...change } : m)) : outgoing.value.filter((m) => m.id !== message.id);
  };
  try {
    const response = await fetch('/dev/customer/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: who.id, ...(who.name ? { name: who.name } : {}), text, id: message.id }),
    });
    if (!response.ok) {
      settle({ state: 'failed', error: await errorOf(response) });
      return false;
    }
    await refresh();
    settle(undefined);
    return true;
  } catch {
    settle({ state: 'failed', error: 'Tide cannot be reached.' });
    return false;
  }
}
