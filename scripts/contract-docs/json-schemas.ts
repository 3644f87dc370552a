import { z } from 'zod';

/** A JSON Schema object as z.toJSONSchema writes it. */
export type JsonSchema = Record<string, unknown>;

/** Named schemas: what the server reads (`inputs`, as accepted) and what it writes (`outputs`, as sent). */
export interface NamedSchemas {
  inputs: Record<string, z.ZodType>;
  outputs: Record<string, z.ZodType>;
}

/**
 * Converts named zod schemas to JSON Schemas for a document's `components.schemas`, each
 * reference to another named schema a `$ref` to `#/components/schemas/<name>`.
 *
 * Inputs are converted as zod parses them (`io: 'input'`: fields with defaults are optional,
 * unknown fields of a non-strict object are allowed, as zod strips them), outputs as the code
 * writes them. `target` is the JSON Schema dialect of the document: 2020-12 for OpenAPI 3.1,
 * draft-07 for AsyncAPI 3.0's default schema format.
 */
export function componentSchemas(named: NamedSchemas, target: 'draft-2020-12' | 'draft-7'): Record<string, JsonSchema> {
  const clash = Object.keys(named.inputs).find((id) => id in named.outputs);
  if (clash) throw new Error(`schema ${clash} is named both as an input and as an output`);
  const convert = (schemas: Record<string, z.ZodType>, io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
    return z.toJSONSchema(registry, { target, io, uri: (id) => `#/components/schemas/${id}` }).schemas as Record<string, JsonSchema>;
  };
  const converted = { ...convert(named.inputs, 'input'), ...convert(named.outputs, 'output') };
  // Declaration order, not conversion order: the documents read top-down.
  return Object.fromEntries([...Object.keys(named.inputs), ...Object.keys(named.outputs)].map((id) => [id, tidy(converted[id]!) as JsonSchema]));
}

/**
 * Drops what a component does not need: its own `$schema` and `$id` (the document says both),
 * zod's regular expression beside `format: date-time` (the format says it, in a line), and the
 * safe-integer bounds zod gives every `int()` (they bound nothing a JSON number could carry).
 */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (typeof value !== 'object' || value === null) return value;
  const schema = value as JsonSchema;
  const needless = (key: string, v: unknown) =>
    key === '$schema' ||
    key === '$id' ||
    (key === 'pattern' && schema.format === 'date-time') ||
    (key === 'minimum' && v === Number.MIN_SAFE_INTEGER && schema.type === 'integer') ||
    (key === 'maximum' && v === Number.MAX_SAFE_INTEGER && schema.type === 'integer');
  return Object.fromEntries(Object.entries(schema).filter(([key, v]) => !needless(key, v)).map(([key, v]) => [key, tidy(v)]));
}

/** Every `$ref` in a document, with where it is. */
export function refsOf(value: unknown, at = '#'): Array<{ at: string; ref: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsOf(v, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [{ at, ref: v }] : refsOf(v, `${at}/${escapePointer(key)}`)));
}

/** What a local `$ref` (`#/a/b`) points at in the document; undefined when nothing. */
export function resolveRef(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let here: unknown = document;
  for (const part of ref.slice(2).split('/').map(unescapePointer)) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, part)) return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
const unescapePointer = (part: string) => part.replaceAll('~1', '/').replaceAll('~0', '~');

/** Pretty JSON with a final newline: the committed form of both documents. */
export const renderJson = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
