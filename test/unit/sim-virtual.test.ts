import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../sim/prng.js';
import { Heap, seedMathRandom, SimPusher, VirtualClock, VirtualScheduler } from '../../sim/virtual.js';

describe('sim virtual time', () => {
  it('the heap pops in order, ties in insertion order when the comparator says so', () => {
    const heap = new Heap<{ at: number; seq: number }>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
    const input = [5, 1, 4, 1, 3, 9, 2, 6].map((at, seq) => ({ at, seq }));
    for (const x of input) heap.push(x);
    const out: Array<{ at: number; seq: number }> = [];
    while (heap.size) out.push(heap.pop()!);
    expect(out.map((x) => x.at)).toEqual([1, 1, 2, 3, 4, 5, 6, 9]);
    expect(out.slice(0, 2).map((x) => x.seq)).toEqual([1, 3]);
    expect(heap.pop()).toBeUndefined();
  });

  it('the clock only moves forward', () => {
    const clock = new VirtualClock(1_000);
    clock.set(5_000);
    expect(clock.now().getTime()).toBe(5_000);
    expect(() => clock.set(4_999)).toThrow();
  });

  it('the scheduler creates a name once, hands back due timers in time order, and fires past deadlines at once', async () => {
    const clock = new VirtualClock(0);
    const timers = new VirtualScheduler(clock);
    const payload = (gen: number) => ({ kind: 'conversation' as const, conversationId: 'c', gen });
    await timers.schedule('c.2', new Date(20_000), payload(2));
    await timers.schedule('c.1', new Date(10_000), payload(1));
    await timers.schedule('c.1', new Date(1_000), payload(9)); // same name again: a no-op
    expect(timers.created).toBe(2);
    expect(timers.nextAt()).toBe(10_000);
    clock.set(9_999);
    expect(timers.takeDue()).toEqual([]);
    clock.set(25_000);
    expect(timers.takeDue().map((t) => t.name)).toEqual(['c.1', 'c.2']);
    await timers.schedule('c.3', new Date(1_000), payload(3)); // already past: due now
    expect(timers.nextAt()).toBe(25_000);
    expect(timers.takeDue().map((t) => t.payload)).toEqual([payload(3)]);
    expect(timers.pending).toBe(0);
  });

  it('the scheduler fires each schedule as late as it is told (EventBridge Scheduler: within a minute)', async () => {
    const clock = new VirtualClock(0);
    const lateness = [30_000, 0, 59_999];
    const timers = new VirtualScheduler(clock, () => lateness.shift()!);
    const payload = { kind: 'conversation' as const, conversationId: 'c', gen: 1 };
    await timers.schedule('a', new Date(10_000), payload);
    await timers.schedule('b', new Date(20_000), payload);
    await timers.schedule('a', new Date(10_000), payload); // the same name: no new schedule, no draw
    expect(timers.nextAt()).toBe(20_000);
    clock.set(39_999);
    expect(timers.takeDue().map((t) => t.name)).toEqual(['b']);
    clock.set(40_000);
    expect(timers.takeDue().map((t) => t.name)).toEqual(['a']);
    await timers.schedule('c', new Date(0), payload); // already past: now, plus its lateness
    expect(timers.nextAt()).toBe(99_999);
    expect(timers.lateMsTotal).toBe(89_999);
  });

  it('the pusher hands frames to the agent who opened the connection, and keeps its latest work list', async () => {
    const seen: Array<[string, unknown]> = [];
    const pusher = new SimPusher((agentId, frame) => seen.push([agentId, frame.type]));
    pusher.connect('sim-alice-1', 'alice');
    const list = (seq: number) => ({ type: 'worklist', seq, agent: { id: 'alice', status: 'online', active: 0, preferredConcurrency: 3, maxLoad: 5 }, items: [] });
    expect(await pusher.post('sim-alice-1', list(2))).toBe('sent');
    await pusher.post('sim-alice-1', { type: 'message', conversationId: 'c' });
    await pusher.post('sim-alice-1', list(1)); // arrives late: an older list
    expect(seen).toEqual([['alice', 'worklist'], ['alice', 'message'], ['alice', 'worklist']]);
    expect(pusher.latestWorklist('alice')?.seq).toBe(2);
    expect(pusher.frames).toBe(3);
    expect(pusher.byType).toEqual({ worklist: 2, message: 1 });
    expect(pusher.latestWorklist('bob')).toBeUndefined();
  });

  it('seeds Math.random until restored', () => {
    const original = Math.random;
    const restore = seedMathRandom(7);
    try {
      const expected = mulberry32(7);
      expect([Math.random(), Math.random()]).toEqual([expected(), expected()]);
    } finally {
      restore();
    }
    expect(Math.random).toBe(original);
  });
});
