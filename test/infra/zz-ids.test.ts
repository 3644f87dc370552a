import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { TideStack, tideSettingsFromContext } from '../../infra/tide-stack.js';
it('ids', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TideStack(app, 'Tide', { settings: tideSettingsFromContext(app) });
  const t = Template.fromStack(stack).toJSON();
  writeFileSync('/tmp/new-template.json', JSON.stringify(t, null, 1));
  const old = JSON.parse(readFileSync('/tmp/old-template.json', 'utf8'));
  for (const id of Object.keys(old.Resources)) {
    if (!t.Resources[id]) continue;
    const a = JSON.stringify(old.Resources[id].Properties), b = JSON.stringify(t.Resources[id].Properties);
    if (a !== b && !/Policy$|DefaultPolicy/.test(id)) console.log('CHANGED', id);
  }
});
