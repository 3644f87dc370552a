/**
 * A hand-written SVG chart: one small bar panel per KPI, one bar per policy in each, the value
 * printed on every bar. No dependencies; the output is plain, well-formed XML.
 */

export interface ChartSeries {
  label: string;
  color: string;
}

export interface ChartPanel {
  title: string;
  /** One value per series; undefined draws no bar and prints "n/a". */
  values: Array<number | undefined>;
  format: (value: number) => string;
  /** Top of the axis; by default a little above the largest value. */
  max?: number;
  /** A note under the panel title, e.g. "lower is better". */
  note?: string;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  series: ChartSeries[];
  panels: ChartPanel[];
  columns?: number;
}

export const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const n = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(1)).toString() : '0');

export function barChartSvg(spec: ChartSpec): string {
  const columns = Math.max(1, spec.columns ?? 3);
  const rows = Math.ceil(spec.panels.length / columns);
  const panelW = 320;
  const panelH = 230;
  const top = 96;
  const width = columns * panelW + 20;
  const height = top + rows * panelH + 20;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="${escapeXml(spec.title)}">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="28" font-size="18" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="16" y="48" font-size="12" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  // Legend
  let lx = 16;
  for (const s of spec.series) {
    out.push(`<rect x="${lx}" y="62" width="12" height="12" fill="${escapeXml(s.color)}"/>`);
    out.push(`<text x="${lx + 17}" y="72" font-size="12" fill="#222">${escapeXml(s.label)}</text>`);
    lx += 24 + s.label.length * 6.6;
  }
  spec.panels.forEach((panel, index) => {
    const px = 10 + (index % columns) * panelW;
    const py = top + Math.floor(index / columns) * panelH;
    const plotX = px + 16;
    const plotY = py + 44;
    const plotW = panelW - 36;
    const plotH = panelH - 84;
    const defined = panel.values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    const max = panel.max ?? (Math.max(0, ...defined) * 1.15 || 1);
    out.push(`<g>`);
    out.push(`<text x="${px + 16}" y="${py + 18}" font-size="13" font-weight="bold" fill="#222">${escapeXml(panel.title)}</text>`);
    if (panel.note) out.push(`<text x="${px + 16}" y="${py + 33}" font-size="10" fill="#777">${escapeXml(panel.note)}</text>`);
    out.push(`<line x1="${plotX}" y1="${n(plotY + plotH)}" x2="${plotX + plotW}" y2="${n(plotY + plotH)}" stroke="#999" stroke-width="1"/>`);
    const slot = plotW / Math.max(1, panel.values.length);
    const barW = Math.min(48, slot * 0.7);
    panel.values.forEach((value, i) => {
      const cx = plotX + slot * i + slot / 2;
      const series = spec.series[i];
      if (value === undefined || !Number.isFinite(value)) {
        out.push(`<text x="${n(cx)}" y="${n(plotY + plotH - 4)}" font-size="11" text-anchor="middle" fill="#999">n/a</text>`);
      } else {
        const h = Math.max(0, Math.min(1, value / max)) * plotH;
        out.push(
          `<rect x="${n(cx - barW / 2)}" y="${n(plotY + plotH - h)}" width="${n(barW)}" height="${n(h)}" fill="${escapeXml(series?.color ?? '#888')}"/>`,
        );
        out.push(`<text x="${n(cx)}" y="${n(plotY + plotH - h - 4)}" font-size="11" text-anchor="middle" fill="#222">${escapeXml(panel.format(value))}</text>`);
      }
      const short = (series?.label ?? '').split(' ')[0] ?? '';
      out.push(`<text x="${n(cx)}" y="${n(plotY + plotH + 15)}" font-size="11" text-anchor="middle" fill="#444">${escapeXml(short)}</text>`);
    });
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
