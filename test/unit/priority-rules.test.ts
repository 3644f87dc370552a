import { describe, expect, it } from 'vitest';
import { priorityFromRules, raisedPriority } from '../../shared/routing/priority-rules.js';

const rules = [
  { phrases: ['fraud', 'stolen card'], priority: 5 },
  { phrases: ['cancel my account'], priority: 3, queues: ['billing'] },
];

describe('priorityFromRules', () => {
  it('matches whole words and phrases, ignoring case and punctuation', () => {
    expect(priorityFromRules('I think this is FRAUD!!', 'default', rules)).toBe(5);
    expect(priorityFromRules('my stolen card, help', 'default', rules)).toBe(5);
    expect(priorityFromRules('defraud', 'default', rules)).toBeUndefined();
    expect(priorityFromRules('where is my parcel', 'default', rules)).toBeUndefined();
  });

  it('applies queue-scoped rules only in their queues and takes the highest match', () => {
    expect(priorityFromRules('Please cancel my account', 'default', rules)).toBeUndefined();
    expect(priorityFromRules('Please cancel my account', 'billing', rules)).toBe(3);
    expect(priorityFromRules('cancel my account, fraud', 'billing', rules)).toBe(5);
  });

  it('only ever raises a priority', () => {
    expect(raisedPriority(2, undefined, 1)).toBe(2);
    expect(raisedPriority(0, 4, undefined)).toBe(4);
  });
});
