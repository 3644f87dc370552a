import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { figuresCommand, MissingMarkersError, publish, replaceBetweenMarkers } from '../../sim/publish.js';

const readme = ['# Tide', '', 'Intro.', '', '<!-- sim:summary:begin -->', 'old table', '<!-- sim:summary:end -->', '', '## Later', 'kept'].join('\n');

describe('sim publish: the README between its markers', () => {
  it('replaces only what is between the markers, and keeps them', () => {
    const out = replaceBetweenMarkers(readme, 'summary', '| new | table |\n');
    expect(out).toBe(readme.replace('old table', '| new | table |'));
    // Publishing again gives the same text: nothing accumulates.
    expect(replaceBetweenMarkers(out, 'summary', '| new | table |')).toBe(out);
  });

  it('fails naming the markers when they are missing, doubled or out of order', () => {
    expect(() => replaceBetweenMarkers(readme, 'sensitivity', 'x')).toThrow(MissingMarkersError);
    expect(() => replaceBetweenMarkers(readme, 'sensitivity', 'x')).toThrow(/<!-- sim:sensitivity:begin -->.*<!-- sim:sensitivity:end -->/);
    expect(() => replaceBetweenMarkers(readme.replace('<!-- sim:summary:end -->', ''), 'summary', 'x')).toThrow(/<!-- sim:summary:end --> not found/);
    expect(() => replaceBetweenMarkers(`${readme}\n<!-- sim:summary:begin -->`, 'summary', 'x')).toThrow(/more than once/);
    const swapped = '<!-- sim:summary:end -->\nx\n<!-- sim:summary:begin -->';
    expect(() => replaceBetweenMarkers(swapped, 'summary', 'x')).toThrow(/comes before/);
  });
});

describe('sim publish: files', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the README section and the linked files under the root', async () => {
    root = await mkdtemp(join(tmpdir(), 'tide-publish-'));
    await writeFile(join(root, 'README.md'), readme);
    const written = await publish(root, 'summary', 'table\n![KPIs by policy](sim/results/summary.svg)', [{ path: 'sim/results/summary.svg', content: '<svg/>' }]);
    expect(written).toEqual(['sim/results/summary.svg', 'README.md']);
    expect(await readFile(join(root, 'sim/results/summary.svg'), 'utf8')).toBe('<svg/>');
    const text = await readFile(join(root, 'README.md'), 'utf8');
    expect(text).toContain('<!-- sim:summary:begin -->\ntable\n![KPIs by policy](sim/results/summary.svg)\n<!-- sim:summary:end -->');
    expect(text).toContain('## Later\nkept');
  });

  it('writes nothing when the README lacks the markers', async () => {
    root = await mkdtemp(join(tmpdir(), 'tide-publish-'));
    await writeFile(join(root, 'README.md'), '# no markers\n');
    await expect(publish(root, 'sensitivity', 'table', [{ path: 'sim/results/sensitivity.md', content: 'table' }])).rejects.toThrow(MissingMarkersError);
    await expect(stat(join(root, 'sim/results/sensitivity.md'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(root, 'README.md'), 'utf8')).toBe('# no markers\n');
  });
});

describe('sim publish: the command quoted', () => {
  it('leaves out where the results went and how they were run, and quotes what the shell would split', () => {
    expect(figuresCommand(['--seeds', '10', '--out', '/tmp/x', '--workers', '2', '--publish', '--policies', 'B,C'])).toBe('npm run simulate -- --seeds 10 --policies B,C');
    expect(figuresCommand(['--model', '{"slowdown": 0.1}'])).toBe(`npm run simulate -- --model '{"slowdown": 0.1}'`);
    expect(figuresCommand(['--publish'])).toBe('npm run simulate');
  });
});
