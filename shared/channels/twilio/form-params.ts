import { TideError } from '../../errors.js';
import type { TwilioParams } from './signature.js';

/**
 * A webhook's `application/x-www-form-urlencoded` body as Twilio's signature sees it: names and
 * values percent-decoded, `+` read as a space, every field kept (Twilio adds fields without
 * notice, and the signature covers all of them), and a field sent more than once kept with all
 * its values. Built with `Object.fromEntries`, so a field named `__proto__` is just a field.
 */
export function formParams(rawBody: Buffer): TwilioParams {
  const byName = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const values = byName.get(name);
    if (values) values.push(value);
    else byName.set(name, [value]);
  }
  return Object.fromEntries([...byName].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]));
}

/**
 * The one value of a field Tide reads, or undefined when absent. Twilio sends each of these once;
 * a repeated one is a request Tide cannot read unambiguously.
 */
export function field(params: TwilioParams, name: string): string | undefined {
  if (!Object.hasOwn(params, name)) return undefined;
  const value = params[name]!;
  if (typeof value !== 'string') throw new TideError('invalid_request', `${name} is given more than once`);
  return value;
}
