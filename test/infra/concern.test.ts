import { App, CfnResource, Names, Stack, type CfnElement } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Concern, logicalIdIgnoringConcerns, resourceNameIgnoringConcerns } from '../../infra/constructs/concern.js';

class Group extends Concern {}

/** A plain stack (CDK's own naming) holding resources at awkward paths. */
function plainStack() {
  const stack = new Stack(new App(), 'Some-Stack');
  const paths = [
    ['Table'],
    ['Table', 'Resource'],
    ['Api', 'Default'],
    ['Api', 'connect-Route', 'Resource'],
    ['Functions', 'Functions', 'Handler'],
    ['FooBar', 'Bar', 'Resource'],
    ['A'.repeat(300), 'Resource'],
  ];
  const elements = paths.map((p) => {
    let scope: Construct = stack;
    for (const id of p.slice(0, -1)) scope = (scope.node.tryFindChild(id) as Construct | undefined) ?? new Construct(scope, id);
    return new CfnResource(scope, p[p.length - 1]!, { type: 'AWS::SQS::Queue' }) as CfnElement;
  });
  return { stack, elements };
}

describe('Concern: ids that ignore grouping constructs', () => {
  it('without concerns, logical ids are exactly CDK’s', () => {
    const { stack, elements } = plainStack();
    for (const element of elements) expect(logicalIdIgnoringConcerns(element), element.node.path).toBe(stack.getLogicalId(element));
  });

  it('without concerns, generated resource names are exactly CDK’s', () => {
    const { elements } = plainStack();
    for (const element of elements.slice(0, 6)) {
      const parent = element.node.scope!;
      expect(resourceNameIgnoringConcerns(parent, element.node.id, { maxLength: 64, separator: '-' })).toBe(
        Names.uniqueResourceName(element, { maxLength: 64, separator: '-' }),
      );
    }
  });

  it('a concern on the path changes nothing', () => {
    const flat = new Stack(new App(), 'Tide');
    const plain = new CfnResource(new Construct(flat, 'Timers'), 'Resource', { type: 'AWS::Scheduler::ScheduleGroup' });
    const grouped = new Stack(new App(), 'Tide');
    const inConcern = new CfnResource(new Construct(new Group(grouped, 'Scheduling'), 'Timers'), 'Resource', { type: 'AWS::Scheduler::ScheduleGroup' });
    expect(logicalIdIgnoringConcerns(inConcern)).toBe(flat.getLogicalId(plain));
    expect(logicalIdIgnoringConcerns(inConcern)).toBe('Timers8BCB401C');
    expect(resourceNameIgnoringConcerns(inConcern.node.scope!, 'Resource', { maxLength: 64, separator: '-' })).toBe(
      Names.uniqueResourceName(plain, { maxLength: 64, separator: '-' }),
    );
  });

  it('a path of nothing but concerns has no logical id', () => {
    const stack = new Stack(new App(), 'S');
    const element = new CfnResource(new Group(stack, 'Only'), 'Default', { type: 'AWS::SQS::Queue' });
    expect(() => logicalIdIgnoringConcerns(element)).toThrow(/only concerns/);
  });
});
