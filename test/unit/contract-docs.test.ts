import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tideConfigSchema } from '../../shared/config/schema.js';
import { agentActionSchema } from '../../shared/contract/agent-actions.js';
import { errorCodes } from '../../shared/contract/error-codes.js';
import { ackSchemas } from '../../shared/contract/frames.js';
import { agentActionNames, httpRoutes } from '../../shared/contract/routes.js';
import { actionDocs } from '../../scripts/contract-docs/asyncapi.js';
import { contractDocuments } from '../../scripts/contract-docs/documents.js';
import { refsOf, resolveRef } from '../../scripts/contract-docs/json-schemas.js';

/**
 * docs/openapi.json and docs/asyncapi.json are generated from the zod schemas (npm run
 * docs:contract). They must be exactly what the schemas give today, name every route and every
 * action, and hold together (every `$ref` lands somewhere).
 */
const documents = contractDocuments();
const [openapiText, asyncapiText] = documents.map((d) => d.text) as [string, string];
const openapi = JSON.parse(openapiText) as {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
const asyncapi = JSON.parse(asyncapiText) as {
  asyncapi: string;
  operations: Record<string, { action: string; messages: Array<{ $ref: string }>; reply?: { messages: Array<{ $ref: string }> } }>;
  channels: { connection: { messages: Record<string, unknown> } };
  components: { messages: Record<string, { payload: { $ref: string }; examples?: Array<{ payload: unknown }> }>; schemas: Record<string, unknown> };
};

describe('the committed contract documents', () => {
  it.each(documents.map((d) => [d.path.replace(/.*\/docs\//, 'docs/'), d]))('%s is what npm run docs:contract writes', (_name, document) => {
    expect(readFileSync(document.path, 'utf8'), 'run npm run docs:contract and commit the result').toBe(document.text);
  });

  it('are generated the same way every time (stable key order)', () => {
    expect(contractDocuments().map((d) => d.text)).toEqual([openapiText, asyncapiText]);
  });
});

describe('docs/openapi.json', () => {
  it('is OpenAPI 3.1', () => {
    expect(openapi.openapi).toBe('3.1.0');
  });

  it('has every route of shared/contract/routes.ts, each with an operation id and a success answer', () => {
    for (const route of httpRoutes) {
      const operation = openapi.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation!.operationId).toBeTruthy();
      expect(Object.keys(operation!.responses).some((s) => s.startsWith('2'))).toBe(true);
    }
  });

  it('names every error code in the error body', () => {
    expect(resolveRef(openapi, '#/components/schemas/Error/properties/error/properties/code/enum')).toEqual(errorCodes);
  });

  it('resolves every $ref', () => {
    const refs = refsOf(openapi);
    expect(refs.length).toBeGreaterThan(10);
    for (const { at, ref } of refs) expect(resolveRef(openapi, ref), `${ref} at ${at}`).toBeDefined();
  });
});

describe('docs/asyncapi.json', () => {
  it('is AsyncAPI 3.0', () => {
    expect(asyncapi.asyncapi).toBe('3.0.0');
  });

  it('has every agent action as an operation Tide receives, answered by its ack or an error', () => {
    const inSchema = agentActionSchema.options.map((o) => o.shape.action.value);
    expect(inSchema).toEqual([...agentActionNames]);
    for (const action of agentActionNames) {
      const operation = asyncapi.operations[action];
      expect(operation, action).toMatchObject({ action: 'receive', messages: [{ $ref: `#/channels/connection/messages/${action}` }] });
      expect(operation!.reply!.messages.map((m) => m.$ref)).toEqual([`#/channels/connection/messages/${action}Ack`, '#/channels/connection/messages/error']);
      expect(asyncapi.components.schemas[`${action[0]!.toUpperCase()}${action.slice(1)}Action`]).toBeDefined();
    }
  });

  it('has every frame Tide sends', () => {
    const sent = Object.values(asyncapi.operations).filter((o) => o.action === 'send').flatMap((o) => o.messages.map((m) => m.$ref.split('/').pop()));
    expect(sent.sort()).toEqual(['delivery', 'error', 'message', 'overview', 'worklist']);
  });

  it('gives examples that the server would accept', () => {
    for (const action of agentActionNames) {
      const parsed = agentActionSchema.safeParse(actionDocs[action].example);
      expect(parsed.success, `${action}: ${parsed.error?.message}`).toBe(true);
      expect(parsed.data!.action).toBe(action);
    }
  });

  it('has an ack schema for every action, and nothing else', () => {
    expect(Object.keys(ackSchemas)).toEqual([...agentActionNames]);
  });

  it('resolves every $ref', () => {
    const refs = refsOf(asyncapi);
    expect(refs.length).toBeGreaterThan(50);
    for (const { at, ref } of refs) expect(resolveRef(asyncapi, ref), `${ref} at ${at}`).toBeDefined();
  });
});

describe('the docs pages name what the documents name', () => {
  const page = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

  it('agent-protocol.md: every action, every frame type and every error code', () => {
    const text = page('agent-protocol.md');
    for (const action of agentActionNames) expect(text).toContain(`\`${action}\``);
    for (const type of ['worklist', 'message', 'delivery', 'overview', 'ack', 'error']) expect(text).toContain(`"type":"${type}"`);
    for (const code of errorCodes) expect(text).toContain(`\`${code}\``);
  });

  it('configuration.md: every field of the configuration schema', () => {
    const text = page('configuration.md');
    const fields = new Set<string>();
    const walk = (schema: unknown) => {
      if (typeof schema !== 'object' || schema === null) return;
      const properties = (schema as { properties?: Record<string, unknown> }).properties;
      for (const [name, child] of Object.entries(properties ?? {})) {
        fields.add(name);
        walk(child);
      }
      for (const value of Object.values(schema)) if (typeof value === 'object') walk(value);
    };
    walk(z.toJSONSchema(tideConfigSchema, { io: 'input' }));
    expect(fields.size).toBeGreaterThan(40);
    for (const field of fields) expect(text, field).toContain(`\`${field}\``);
  });

  it('supervisor-and-admin.md and channels.md: every route', () => {
    const text = page('supervisor-and-admin.md') + page('channels.md');
    for (const route of httpRoutes) expect(text, route.path).toContain(route.path);
  });
});
