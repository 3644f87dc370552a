import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml } from '../../sim/svg.js';

/** A small well-formedness check: tags nest and close, attributes are quoted, entities are known. */
function assertWellFormed(xml: string) {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let roots = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    expect(between, `stray markup before ${m[0]}`).not.toMatch(/[<>]/);
    expect(between.replace(/&(amp|lt|gt|quot|apos);/g, ''), 'unescaped &').not.toContain('&');
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop(), `</${name}> closes the wrong element`).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

describe('sim SVG chart', () => {
  const spec = {
    title: 'Policies <compared> & "measured"',
    subtitle: "seed 42, customers' day",
    series: [
      { label: 'A fixed-slot FIFO', color: '#999' },
      { label: 'C Tide (defaults)', color: '#2e7d32' },
    ],
    panels: [
      { title: 'First response p50 (min)', values: [12.5, 3.25], format: (v: number) => v.toFixed(1) },
      { title: 'SLA < 2 min', values: [40, undefined], format: (v: number) => `${v}%`, max: 100 },
      { title: 'Zeros', values: [0, 0], format: (v: number) => String(v) },
    ],
  };

  it('is a single well-formed svg element with escaped text', () => {
    const svg = barChartSvg(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    assertWellFormed(svg);
    expect(svg).toContain('Policies &lt;compared&gt; &amp; &quot;measured&quot;');
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });

  it('draws one bar per defined value with its label, and n/a for a missing one', () => {
    const svg = barChartSvg(spec);
    const bars = svg.match(/<rect [^>]*fill="#(999|2e7d32)"\/>/g) ?? [];
    // 2 legend swatches + 5 defined values
    expect(bars.length).toBe(7);
    expect(svg).toContain('>12.5<');
    expect(svg).toContain('>3.3<');
    expect(svg).toContain('>40%<');
    expect(svg).toContain('>n/a<');
  });

  it('escapes XML special characters', () => {
    expect(escapeXml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  });
});
