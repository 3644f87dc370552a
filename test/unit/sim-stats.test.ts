import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../sim/report.js';
import { slaAttainment } from '../../sim/kpis.js';
import { mean, percentile, ratio } from '../../sim/stats.js';

describe('sim statistics', () => {
  it('percentile interpolates between closest ranks (R-7, the NumPy default)', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
    expect(percentile([15, 20, 35, 40, 50], 40)).toBe(29);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('mean and ratio handle empty samples', () => {
    expect(mean([])).toBeUndefined();
    expect(mean([1, 2, 6])).toBe(3);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(1, 4)).toBe(0.25);
  });

  it('SLA attainment counts unanswered questions as missed and ignores ones too late to judge', () => {
    const sla = slaAttainment(
      [
        { type: 'engaged', firstMessageAt: 0, replies: 1, conversationIds: [], questions: [{ at: 0, answeredAt: 120_000 }, { at: 500_000, answeredAt: 700_000 }] },
        { type: 'gone', firstMessageAt: 0, replies: 0, conversationIds: [], abandonedAt: 600_000, questions: [{ at: 1_000 }] },
        { type: 'slow', firstMessageAt: 0, replies: 0, conversationIds: [], questions: [{ at: 950_000 }] },
      ],
      120,
      1_000_000,
    );
    expect(sla).toEqual({ counted: 3, within: 1, attainment: 1 / 3 });
  });

  it('formats durations for the table', () => {
    expect(formatDuration(undefined)).toBe('-');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(754.4)).toBe('12:34');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
