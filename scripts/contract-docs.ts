/**
 * `npm run docs:contract`: writes docs/openapi.json (the HTTP API, OpenAPI 3.1) and
 * docs/asyncapi.json (the WebSocket protocol, AsyncAPI 3.0) from the zod schemas in
 * shared/contract/. `--check` writes nothing and exits 1 when a committed file is not what the
 * schemas give (test/unit/contract-docs.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { contractDocuments } from './contract-docs/documents.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const { path, text } of contractDocuments()) {
  let committed: string | undefined;
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    committed = undefined;
  }
  if (committed === text) {
    console.log(`${path}: up to date`);
  } else if (check) {
    stale++;
    console.error(`${path}: differs from the schemas; run npm run docs:contract`);
  } else {
    writeFileSync(path, text);
    console.log(`${path}: written`);
  }
}
process.exit(stale ? 1 : 0);
