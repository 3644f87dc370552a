import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncApiDocument } from './asyncapi.js';
import { renderJson } from './json-schemas.js';
import { openApiDocument } from './openapi.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The package's version, which both documents carry as theirs. */
const version = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;

/** Both documents as they must be committed: absolute path and text. */
export function contractDocuments(): Array<{ path: string; text: string }> {
  return [
    { path: `${root}docs/openapi.json`, text: renderJson(openApiDocument(version)) },
    { path: `${root}docs/asyncapi.json`, text: renderJson(asyncApiDocument(version)) },
  ];
}
