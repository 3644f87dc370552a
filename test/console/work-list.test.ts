import { describe, expect, it } from 'vitest';
import type { WorklistItem } from '../../shared/push/worklist.js';
import { formatDuration, slaCountdown } from '../../console/src/work/countdown.js';
import { newWorkBetween } from '../../console/src/work/new-work.js';
import { displayOrder, sectionOf, sectionsOf } from '../../console/src/work/sections.js';

const item = (id: string, over: Partial<WorklistItem> = {}): WorklistItem => ({
  conversationId: id, state: 'active', waitingOn: 'agent', queue: 'default', channel: 'sms', customer: { id: `+1555${id}` },
  lastMessage: { direction: 'in', text: 'hi', at: '2026-11-21T10:00:00.000Z' },
  slaDueAt: null, slaBreached: false, followUpAt: null, priority: 0, transferNote: null, ...over,
});

describe('work-list sections', () => {
  it('puts each item where its state and waiting side put it', () => {
    expect(sectionOf(item('a'))).toBe('waiting-on-me');
    expect(sectionOf(item('b', { waitingOn: 'customer' }))).toBe('waiting-on-customer');
    expect(sectionOf(item('c', { state: 'inactive', waitingOn: 'customer' }))).toBe('inactive');
    expect(sectionOf(item('d', { state: 'inactive', followUpAt: '2026-11-21T12:00:00.000Z' }))).toBe('follow-ups');
    // A follow-up that came due is actionable again: it belongs to the agent's turn, not to follow-ups.
    expect(sectionOf(item('e', { state: 'active', followUpAt: '2026-11-21T12:00:00.000Z' }))).toBe('waiting-on-me');
  });

  it('keeps the pushed order within every section and never re-sorts', () => {
    // Deliberately not in priority or time order: the console must not "fix" Tide's ranking.
    const pushed = [
      item('z', { priority: -5 }),
      item('w1', { waitingOn: 'customer', lastMessage: { direction: 'out', text: 'x', at: '2026-11-21T09:00:00.000Z' } }),
      item('a', { priority: 50 }),
      item('f', { state: 'inactive', followUpAt: '2026-11-22T09:00:00.000Z' }),
      item('i', { state: 'inactive', waitingOn: 'customer' }),
      item('m', { priority: 0 }),
    ];
    const sections = sectionsOf(pushed);
    expect(sections.map((s) => [s.id, s.items.map((i) => i.conversationId)])).toEqual([
      ['waiting-on-me', ['z', 'a', 'm']],
      ['waiting-on-customer', ['w1']],
      ['inactive', ['i']],
      ['follow-ups', ['f']],
    ]);
    expect(displayOrder(sections).map((i) => i.conversationId)).toEqual(['z', 'a', 'm', 'w1', 'i', 'f']);
  });

  it('shows every section, empty ones too', () => {
    expect(sectionsOf([]).map((s) => [s.title, s.items.length])).toEqual([
      ['Waiting on me', 0], ['Waiting on the customer', 0], ['Inactive', 0], ['Follow-ups', 0],
    ]);
  });
});

describe('SLA countdown', () => {
  const due = '2026-11-21T10:30:00.000Z';
  const at = (iso: string) => Date.parse(iso);

  it('counts down in m:ss, rounding up so it never shows 0:00 before the deadline', () => {
    expect(slaCountdown({ slaDueAt: due, slaBreached: false }, at('2026-11-21T10:20:00.000Z'))).toEqual({ state: 'running', remainingMs: 600_000, text: '10:00 left' });
    expect(slaCountdown({ slaDueAt: due, slaBreached: false }, at('2026-11-21T10:29:59.400Z'))?.text).toBe('0:01 left');
  });

  it('is due soon with 5 minutes left when the window is unknown', () => {
    expect(slaCountdown({ slaDueAt: due, slaBreached: false }, at('2026-11-21T10:24:59.000Z'))?.state).toBe('running');
    expect(slaCountdown({ slaDueAt: due, slaBreached: false }, at('2026-11-21T10:25:00.000Z'))?.state).toBe('due-soon');
  });

  it('is due soon with 25% of a long window left', () => {
    const clock = { slaDueAt: '2026-11-21T12:00:00.000Z', slaBreached: false, startedAt: '2026-11-21T10:00:00.000Z' };
    // 2 h window: due soon from 30 min before the deadline.
    expect(slaCountdown(clock, at('2026-11-21T11:29:00.000Z'))?.state).toBe('running');
    expect(slaCountdown(clock, at('2026-11-21T11:30:00.000Z'))).toEqual({ state: 'due-soon', remainingMs: 1_800_000, text: '30:00 left' });
    // Without a known start only the 5-minute rule applies.
    expect(slaCountdown({ ...clock, startedAt: null }, at('2026-11-21T11:30:00.000Z'))?.state).toBe('running');
  });

  it('is due soon only in the last quarter of a short window (the default 2-minute SLA)', () => {
    const clock = { slaDueAt: '2026-11-21T10:02:00.000Z', slaBreached: false, startedAt: '2026-11-21T10:00:00.000Z' };
    expect(slaCountdown(clock, at('2026-11-21T10:00:10.000Z'))?.state).toBe('running');
    expect(slaCountdown(clock, at('2026-11-21T10:01:29.000Z'))?.state).toBe('running');
    expect(slaCountdown(clock, at('2026-11-21T10:01:30.000Z'))).toEqual({ state: 'due-soon', remainingMs: 30_000, text: '0:30 left' });
  });

  it('shows a breach as time overdue', () => {
    expect(slaCountdown({ slaDueAt: due, slaBreached: true }, at('2026-11-21T10:32:10.900Z'))).toEqual({ state: 'breached', remainingMs: -130_900, text: 'overdue 2:10' });
    expect(slaCountdown({ slaDueAt: due, slaBreached: false }, at(due))?.text).toBe('overdue 0:00');
  });

  it('trusts a breach the server recorded even if the local clock is behind', () => {
    expect(slaCountdown({ slaDueAt: due, slaBreached: true }, at('2026-11-21T10:29:58.000Z'))).toEqual({ state: 'breached', remainingMs: 0, text: 'overdue 0:00' });
  });

  it('has nothing to show when no SLA runs', () => {
    expect(slaCountdown({ slaDueAt: null, slaBreached: false }, Date.now())).toBeUndefined();
    expect(slaCountdown({ slaDueAt: 'soon', slaBreached: false }, Date.now())).toBeUndefined();
  });

  it('formats hours and days', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59_999)).toBe('0:59');
    expect(formatDuration(59_001, 'ceil')).toBe('1:00');
    expect(formatDuration(3_600_000)).toBe('1:00:00');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(2 * 86_400_000 + 3_723_000)).toBe('2 d 1:02:03');
  });
});

describe('new work', () => {
  it('treats the first list a tab sees as the baseline', () => {
    expect(newWorkBetween(undefined, [item('a')])).toEqual([]);
  });

  it('rings for a conversation that arrived waiting on the agent and for a newer customer message', () => {
    const before = [item('a'), item('b', { waitingOn: 'customer', lastMessage: { direction: 'out', text: 'x', at: '2026-11-21T10:00:00.000Z' } })];
    const after = [
      item('n'),
      item('a'),
      item('b', { lastMessage: { direction: 'in', text: 'y', at: '2026-11-21T10:05:00.000Z' } }),
      item('t', { waitingOn: 'customer' }),
    ];
    expect(newWorkBetween(before, after).map((w) => [w.item.conversationId, w.kind])).toEqual([['n', 'conversation'], ['b', 'message']]);
  });

  it('does not ring for the agent\'s own reply or an unchanged list', () => {
    const before = [item('a')];
    expect(newWorkBetween(before, [item('a', { lastMessage: { direction: 'out', text: 'ok', at: '2026-11-21T10:06:00.000Z' } })])).toEqual([]);
    expect(newWorkBetween(before, before)).toEqual([]);
  });
});
