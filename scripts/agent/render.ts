import type { DeliveryFrame, MessageFrame, OverviewFrame, WorklistFrame, WorklistItem } from '../../client/tide-client.js';
import type { HistoryPage } from '../../shared/conversation/history.js';

/**
 * How the terminal agent shows what arrives: plain lines, no colour or cursor control, so that
 * the output reads the same in a terminal, a pipe or a log.
 */

/** `m:ss` (or `h:mm:ss`) of a non-negative duration. */
const clock = (ms: number) => {
  const s = Math.floor(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
};

/** One line of text at most `max` characters, newlines shown as ⏎. */
export const oneLine = (text: string, max = 60) => {
  const flat = text.replace(/\r?\n/g, ' ⏎ ');
  const points = [...flat];
  return points.length <= max ? flat : `${points.slice(0, max - 1).join('')}…`;
};

const customerOf = (c: { id: string; name?: string | null }) => (c.name ? `${c.id} (${c.name})` : c.id);

function slaOf(item: WorklistItem, nowMs: number): string {
  if (item.followUpAt) return `follow-up ${item.followUpAt}`;
  if (item.slaBreached) return 'SLA breached';
  if (!item.slaDueAt) return 'no SLA';
  const left = Date.parse(item.slaDueAt) - nowMs;
  return left > 0 ? `SLA ${clock(left)}` : 'SLA breached';
}

/** The work list as a header and one line per item, numbered for `#n`. */
export function worklistLines(frame: WorklistFrame, nowMs: number): string[] {
  const a = frame.agent;
  const lines = [`work list (seq ${frame.seq}) · ${a.id} ${a.status} · ${a.active} active of ${a.preferredConcurrency} (max ${a.maxLoad})`];
  if (frame.items.length === 0) lines.push('  (empty)');
  frame.items.forEach((item, i) => {
    const waiting = item.waitingOn === 'agent' ? 'waiting on you' : 'waiting on the customer';
    const last = `${item.lastMessage.direction === 'in' ? '<' : '>'} "${oneLine(item.lastMessage.text)}"`;
    const note = item.transferNote ? ` · note from ${item.transferNote.from}: "${oneLine(item.transferNote.text, 40)}"` : '';
    lines.push(`  #${i + 1} ${item.conversationId} · ${item.state} · ${waiting} · ${item.channel} ${customerOf(item.customer)} · ${slaOf(item, nowMs)} · priority ${item.priority} · ${last}${note}`);
  });
  if (frame.omitted) lines.push(`  … and ${frame.omitted} more, left out to fit the frame`);
  return lines;
}

export function messageLine(frame: MessageFrame, index: number | undefined): string {
  const where = index ? `${frame.conversationId} (#${index})` : frame.conversationId;
  return `message ${frame.message.direction === 'in' ? 'from the customer' : 'sent'} in ${where}: ${frame.message.text}`;
}

export function deliveryLine(frame: DeliveryFrame): string {
  const error = frame.error ? ` (${frame.error.code}: ${frame.error.message})` : '';
  return `delivery ${frame.messageId} in ${frame.conversationId}: ${frame.status}${error}`;
}

export function overviewLines(frame: OverviewFrame, nowMs: number): string[] {
  const lines = [`overview (seq ${frame.seq})`];
  for (const q of frame.queues) {
    const oldest = q.oldestQueuedAt ? `, oldest waiting ${clock(Math.max(0, nowMs - Date.parse(q.oldestQueuedAt)))}` : '';
    lines.push(`  queue ${q.queue}: ${q.queued}${q.capped ? '+' : ''} queued${oldest}, ${q.slaBreached} SLA breached, ${q.agentsOnline} agents online`);
  }
  for (const a of frame.agents) lines.push(`  agent ${a.id} (${a.name}): ${a.status}, ${a.active} active, ${a.inactive} inactive, preferred ${a.preferredConcurrency}, max ${a.maxLoad}`);
  if (frame.omittedAgents) lines.push(`  … and ${frame.omittedAgents} more agents`);
  return lines;
}

export function historyLines(page: HistoryPage): string[] {
  const c = page.conversation;
  const lines = [`history of ${c.conversationId} · ${c.state} · ${c.channel} ${customerOf(c.customer)} · queue ${c.queue} · ${c.assignedTo ? `with ${c.assignedTo}` : 'unassigned'}`];
  for (const m of page.messages) {
    const status = m.status ? ` [${m.status}${m.error ? ` ${m.error.code}` : ''}]` : '';
    lines.push(`  ${m.at} ${m.direction === 'in' ? '<' : '>'} ${m.text}${status}`);
  }
  if (page.next) lines.push('  … more messages follow (the history API pages with ?after=)');
  return lines;
}
