import { createHash } from 'node:crypto';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

const isConcern = Symbol.for('tide.infra.Concern');

/**
 * Base of the constructs the Tide stack is composed of, one per concern (tables, an API, timers,
 * queues, alarms). A concern only groups: its id is left out of the logical ids and generated
 * names of what it holds (`logicalIdIgnoringConcerns`, `resourceNameIgnoringConcerns`).
 *
 * Why: the stack once built every resource itself, and CloudFormation knows resources by logical
 * id. Had grouping them changed those ids, the next deployment would have made new (empty)
 * tables, new API ids (new webhook and WebSocket URLs) and a new schedule group, role and
 * dead-letter queue, which every pending timer names. Children of different concerns therefore
 * need distinct ids; a clash fails synth ("already contains").
 */
export abstract class Concern extends Construct {
  /** Whether `x` is a concern (a marker, not `instanceof`: robust to duplicated module copies). */
  static isConcern(x: unknown): boolean {
    return typeof x === 'object' && x !== null && isConcern in x;
  }

  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, isConcern, { value: true });
  }
}

const md5Prefix = (components: readonly string[]) =>
  createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
/** As CDK: a component is dropped from the readable part when the previous one ends with it. */
const withoutRepeats = (components: readonly string[]) =>
  components.reduce<string[]>((out, c) => (out.length > 0 && out[out.length - 1]!.endsWith(c) ? out : [...out, c]), []);

/**
 * The logical id CDK's default scheme (`Stack.allocateLogicalId`: readable path plus an 8-digit
 * hash of the path) gives `element`, computed on its path without concerns. For an element with no
 * concern above it this is exactly CDK's own id.
 */
export function logicalIdIgnoringConcerns(element: CfnElement): string {
  const scopes = element.node.scopes;
  const components = scopes
    .slice(scopes.indexOf(element.stack) + 1)
    .filter((scope) => !Concern.isConcern(scope))
    .map((scope) => scope.node.id)
    .filter((id) => id !== 'Default');
  if (components.length === 0) throw new Error(`no logical id for ${element.node.path}: its path holds only concerns`);
  if (components.length === 1 && alphanumeric(components[0]!).length <= 255) return alphanumeric(components[0]!);
  return (
    withoutRepeats(components)
      .filter((c) => c !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + md5Prefix(components)
  );
}

/**
 * The name `Names.uniqueResourceName(child, { maxLength, separator })` gives a child `id` of
 * `scope`, computed on the path without concerns: for physical names CDK generates from the path
 * (a schedule group's), which must stay as they were for the same reason as logical ids.
 */
export function resourceNameIgnoringConcerns(scope: IConstruct, id: string, options: { maxLength: number; separator: string }): string {
  const stack = Stack.of(scope);
  const scopes = scope.node.scopes;
  const components = [
    stack.stackName,
    ...scopes
      .slice(scopes.indexOf(stack) + 1)
      .filter((s) => !Concern.isConcern(s))
      .map((s) => s.node.id),
    id,
  ].filter((c) => c !== 'Default');
  const readable =
    withoutRepeats(components)
      .filter((c) => c !== 'Resource')
      .map(alphanumeric)
      .filter((c) => c !== '')
      .join(options.separator) + options.separator;
  const room = options.maxLength - 8;
  const shortened = readable.length > room ? readable.slice(0, room / 2) + readable.slice(-room / 2) : readable;
  return shortened + md5Prefix(components);
}

/** The logical id of an L2 construct's resource, as cdk-nag names it in finding ids. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}
