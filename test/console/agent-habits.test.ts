import { describe, expect, it } from 'vitest';
import { AlertLeader, type BroadcastPort, type LeaderClock } from '../../console/src/work/alert-leader.js';
import { checkFollowUp, dateTimeLocalValue, followUpFromInput, formatFollowUp, inOneHour, tomorrowAtNine } from '../../console/src/work/follow-up.js';
import { movedIndex, shortcutFor, type KeyInput } from '../../console/src/work/keyboard.js';
import { isUnread, markSeen, maxSeenMarks, readSeen, seenStorageKey, type KeyValueStorage } from '../../console/src/work/unread.js';

class MemoryStorage implements KeyValueStorage {
  readonly values = new Map<string, string>();
  getItem = (key: string) => this.values.get(key) ?? null;
  setItem = (key: string, value: string) => void this.values.set(key, value);
}

describe('unread markers', () => {
  const inbound = (at: string) => ({ conversationId: 'c1', lastMessage: { direction: 'in' as const, at } });

  it('marks a conversation unread until the agent has seen its newest customer message', () => {
    const storage = new MemoryStorage();
    expect(isUnread(inbound('2026-11-21T10:00:00.000Z'), readSeen(storage, 'ann'))).toBe(true);
    const seen = markSeen(storage, 'ann', 'c1', '2026-11-21T10:00:00.000Z');
    expect(isUnread(inbound('2026-11-21T10:00:00.000Z'), seen)).toBe(false);
    expect(isUnread(inbound('2026-11-21T10:00:01.000Z'), readSeen(storage, 'ann'))).toBe(true);
    // The agent's own reply last: nothing to read.
    expect(isUnread({ conversationId: 'c9', lastMessage: { direction: 'out', at: '2026-11-21T10:00:00.000Z' } }, {})).toBe(false);
  });

  it('keeps marks per agent and never moves one back', () => {
    const storage = new MemoryStorage();
    markSeen(storage, 'ann', 'c1', '2026-11-21T10:05:00.000Z');
    markSeen(storage, 'ann', 'c1', '2026-11-21T10:00:00.000Z');
    expect(readSeen(storage, 'ann')).toEqual({ c1: '2026-11-21T10:05:00.000Z' });
    expect(readSeen(storage, 'bob')).toEqual({});
  });

  it('survives garbage in storage and stays bounded, dropping the oldest marks', () => {
    const storage = new MemoryStorage();
    storage.setItem(seenStorageKey('ann'), '{not json');
    expect(readSeen(storage, 'ann')).toEqual({});
    storage.setItem(seenStorageKey('ann'), JSON.stringify({ c1: 5, c2: '2026-11-21T10:00:00.000Z' }));
    expect(readSeen(storage, 'ann')).toEqual({ c2: '2026-11-21T10:00:00.000Z' });
    for (let i = 0; i < maxSeenMarks + 10; i++) markSeen(storage, 'ann', `k${i}`, '2026-11-21T10:00:00.000Z');
    const seen = readSeen(storage, 'ann');
    expect(Object.keys(seen)).toHaveLength(maxSeenMarks);
    expect(seen).not.toHaveProperty('k0');
    expect(seen).toHaveProperty(`k${maxSeenMarks + 9}`);
  });

  it('still answers when storage refuses writes', () => {
    const full: KeyValueStorage = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    expect(markSeen(full, 'ann', 'c1', '2026-11-21T10:00:00.000Z')).toEqual({ c1: '2026-11-21T10:00:00.000Z' });
  });
});

describe('keyboard shortcuts', () => {
  const key = (k: string, over: Partial<KeyInput> = {}): KeyInput => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, target: { tagName: 'BODY' }, ...over });

  it('maps the single keys', () => {
    expect(['j', 'k', 'Enter', 'r', 'e', '?'].map((k) => shortcutFor(key(k)))).toEqual(['next', 'previous', 'open', 'reply', 'close', 'help']);
    expect(shortcutFor(key('x'))).toBeUndefined();
    expect(shortcutFor(key('J'))).toBeUndefined();
  });

  it('does nothing while the agent types or composes', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT', 'textarea']) expect(shortcutFor(key('e', { target: { tagName } }))).toBeUndefined();
    expect(shortcutFor(key('e', { target: { tagName: 'DIV', isContentEditable: true } }))).toBeUndefined();
    expect(shortcutFor(key('e', { isComposing: true }))).toBeUndefined();
  });

  it('leaves Ctrl, Alt and Meta combinations to the browser and assistive technology', () => {
    expect(shortcutFor(key('j', { ctrlKey: true }))).toBeUndefined();
    expect(shortcutFor(key('e', { altKey: true }))).toBeUndefined();
    expect(shortcutFor(key('r', { metaKey: true }))).toBeUndefined();
  });

  it('lets Enter on a button do what the button does', () => {
    expect(shortcutFor(key('Enter', { target: { tagName: 'BUTTON' } }))).toBeUndefined();
    expect(shortcutFor(key('j', { target: { tagName: 'BUTTON' } }))).toBe('next');
  });

  it('moves through the rows without wrapping', () => {
    expect(movedIndex(-1, 3, 'next')).toBe(0);
    expect(movedIndex(-1, 3, 'previous')).toBe(2);
    expect(movedIndex(2, 3, 'next')).toBe(2);
    expect(movedIndex(0, 3, 'previous')).toBe(0);
    expect(movedIndex(1, 3, 'next')).toBe(2);
    expect(movedIndex(0, 0, 'next')).toBe(-1);
  });
});

/** BroadcastChannel as browsers have it: delivered to every other port, never back to the sender, asynchronously. */
class FakeBroadcastHub {
  private readonly ports = new Set<FakePort>();
  private readonly queue: Array<() => void> = [];
  open(): FakePort {
    const port = new FakePort(this);
    this.ports.add(port);
    return port;
  }
  post(from: FakePort, message: unknown) {
    for (const port of this.ports) if (port !== from) this.queue.push(() => port.onmessage?.({ data: structuredClone(message) }));
  }
  remove(port: FakePort) {
    this.ports.delete(port);
  }
  deliver() {
    while (this.queue.length > 0) this.queue.shift()!();
  }
}

class FakePort implements BroadcastPort {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  private closed = false;
  constructor(private readonly hub: FakeBroadcastHub) {}
  postMessage(message: unknown) {
    if (this.closed) throw new Error('InvalidStateError');
    this.hub.post(this, message);
  }
  close() {
    this.closed = true;
    this.hub.remove(this);
  }
}

class FakeClock implements LeaderClock {
  time = 1_000_000;
  private readonly timers = new Map<number, { fn: () => void; ms: number; next: number }>();
  private ids = 0;
  constructor(private readonly hub: FakeBroadcastHub) {}
  now = () => this.time;
  setInterval = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.set(id, { fn, ms, next: this.time + ms });
    return id;
  };
  clearInterval = (handle: unknown) => void this.timers.delete(handle as number);
  /** Moves time on in 100 ms steps, firing due heartbeats and delivering messages between them. */
  advance(ms: number) {
    const end = this.time + ms;
    while (this.time < end) {
      this.time = Math.min(end, this.time + 100);
      for (const timer of [...this.timers.values()]) {
        while (timer.next <= this.time) {
          timer.next += timer.ms;
          timer.fn();
        }
      }
      this.hub.deliver();
    }
  }
}

describe('alert leader election', () => {
  const setup = () => {
    const hub = new FakeBroadcastHub();
    const clock = new FakeClock(hub);
    const tab = (id: string) => {
      const leader = new AlertLeader(hub.open(), clock, { id });
      leader.start();
      hub.deliver();
      return leader;
    };
    const leaders = (tabs: AlertLeader[]) => tabs.filter((t) => t.isLeader()).map((t) => t.id);
    return { hub, clock, tab, leaders };
  };

  it('lets a lone tab lead once it has listened for a heartbeat and a half', () => {
    const { clock, tab } = setup();
    const only = tab('a');
    expect(only.isLeader()).toBe(false);
    clock.advance(1500);
    expect(only.isLeader()).toBe(true);
  });

  it('keeps exactly one leader, the oldest tab, however many join', () => {
    const { clock, tab, leaders } = setup();
    const first = tab('zzz');
    clock.advance(2000);
    // Ids sort before the first's: age, not the id, decides.
    const second = tab('aaa');
    const third = tab('mmm');
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      expect(leaders([first, second, third])).toEqual(['zzz']);
    }
  });

  it('hands the lead over at once when the leader says goodbye', () => {
    const { hub, clock, tab, leaders } = setup();
    const first = tab('a');
    clock.advance(1000);
    const second = tab('b');
    clock.advance(2000);
    expect(leaders([first, second])).toEqual(['a']);
    first.stop();
    hub.deliver();
    expect(leaders([first, second])).toEqual(['b']);
  });

  it('takes over from a tab that vanished without a word, after the timeout', () => {
    const { clock, tab, leaders } = setup();
    const crashed = tab('a');
    clock.advance(1000);
    const survivor = tab('b');
    clock.advance(2000);
    // A crash: its heartbeat stops, no goodbye.
    clock.clearInterval((crashed as unknown as { timer: unknown }).timer);
    clock.advance(2000);
    expect(survivor.isLeader()).toBe(false);
    clock.advance(2000);
    expect(leaders([survivor])).toEqual(['b']);
  });

  it('ignores messages that are not its own protocol', () => {
    const { hub, clock, tab } = setup();
    const only = tab('a');
    const stranger = hub.open();
    stranger.postMessage({ type: 'here', id: 'x' });
    stranger.postMessage('hello');
    stranger.postMessage(null);
    clock.advance(2000);
    expect(only.isLeader()).toBe(true);
  });
});

describe('follow-up times', () => {
  const now = new Date(2026, 10, 21, 16, 20, 0);

  it('offers in 1 h and tomorrow 9:00, local time', () => {
    expect(inOneHour(now)).toEqual(new Date(2026, 10, 21, 17, 20, 0));
    expect(tomorrowAtNine(now)).toEqual(new Date(2026, 10, 22, 9, 0, 0));
    expect(tomorrowAtNine(new Date(2026, 11, 31, 23, 0))).toEqual(new Date(2027, 0, 1, 9, 0, 0));
  });

  it('checks a custom time: a real date, in the future, at most 30 days ahead', () => {
    expect(followUpFromInput('2026-11-21T18:05', now)).toEqual({ at: new Date(2026, 10, 21, 18, 5) });
    expect(followUpFromInput('', now)).toEqual({ error: 'Enter a date and a time.' });
    expect(followUpFromInput('2026-02-31T10:00', now)).toEqual({ error: 'That date does not exist.' });
    expect(followUpFromInput('2026-11-21T16:20', now)).toEqual({ error: 'Pick a time in the future.' });
    expect(followUpFromInput('2026-12-22T16:20', now)).toEqual({ error: 'Pick a time at most 30 days ahead.' });
    expect(checkFollowUp(new Date(now.getTime() + 30 * 86_400_000), now)).toHaveProperty('at');
    expect(dateTimeLocalValue(new Date(2026, 0, 5, 7, 3))).toBe('2026-01-05T07:03');
  });

  it('reads as today, tomorrow or a date', () => {
    expect(formatFollowUp(new Date(2026, 10, 21, 18, 5).toISOString(), now, 'en-GB')).toBe('today 18:05');
    expect(formatFollowUp(new Date(2026, 10, 22, 9, 0).toISOString(), now, 'en-GB')).toBe('tomorrow 09:00');
    expect(formatFollowUp(new Date(2026, 10, 24, 9, 0).toISOString(), now, 'en-GB')).toBe('Tue 24 Nov 09:00');
    expect(formatFollowUp('nonsense', now)).toBe('');
  });
});
