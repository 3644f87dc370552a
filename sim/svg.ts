/**
 * A hand-written SVG chart: one small bar panel per KPI, one bar per policy in each, the value
 * printed on every bar, and optionally each value's interval as a whisker. No dependencies; the
 * output is plain, well-formed XML.
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
  /**
   * Per series, the bounds of the value's interval (e.g. its 95% interval over seeds), drawn as a
   * whisker over the bar; undefined draws none (one seed, or a value without an interval).
   */
  intervals?: Array<Bounds | undefined>;
  /** Per series, what to print instead of a bar when its value is missing ("n/a" unless given), e.g. "never". */
  missing?: Array<string | undefined>;
}

export interface Bounds {
  lo: number;
  hi: number;
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

/** Bounds both finite (lo ≤ hi), or undefined: nothing else can be drawn. */
function finiteBounds(i: Bounds | undefined): Bounds | undefined {
  if (!i || !Number.isFinite(i.lo) || !Number.isFinite(i.hi)) return undefined;
  return { lo: Math.min(i.lo, i.hi), hi: Math.max(i.lo, i.hi) };
}

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
    // Room above the plot for the value printed over a bar (or whisker) at the top of the axis.
    const plotY = py + 56;
    const plotW = panelW - 36;
    const plotH = panelH - 96;
    const whiskers = panel.values.map((v, i) => (v === undefined || !Number.isFinite(v) ? undefined : finiteBounds(panel.intervals?.[i])));
    const defined = panel.values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    // The axis reaches the highest whisker too, so that no interval is cut off.
    const max = panel.max ?? (Math.max(0, ...defined, ...whiskers.map((w) => w?.hi ?? 0)) * 1.15 || 1);
    const yOf = (v: number) => plotY + plotH - Math.max(0, Math.min(1, v / max)) * plotH;
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
        out.push(`<text x="${n(cx)}" y="${n(plotY + plotH - 4)}" font-size="11" text-anchor="middle" fill="#999">${escapeXml(panel.missing?.[i] ?? 'n/a')}</text>`);
      } else {
        const top = yOf(value);
        out.push(
          `<rect x="${n(cx - barW / 2)}" y="${n(top)}" width="${n(barW)}" height="${n(plotY + plotH - top)}" fill="${escapeXml(series?.color ?? '#888')}"/>`,
        );
        const whisker = whiskers[i];
        if (whisker) {
          // A vertical line from lo to hi with a cap at each end, in a group a reader (or a test) can find.
          const [lo, hi, cap] = [yOf(whisker.lo), yOf(whisker.hi), barW / 4];
          out.push(
            `<g class="whisker" data-series="${escapeXml(series?.label ?? String(i))}" stroke="#222" stroke-width="1.2">` +
              `<line x1="${n(cx)}" y1="${n(lo)}" x2="${n(cx)}" y2="${n(hi)}"/>` +
              `<line x1="${n(cx - cap)}" y1="${n(lo)}" x2="${n(cx + cap)}" y2="${n(lo)}"/>` +
              `<line x1="${n(cx - cap)}" y1="${n(hi)}" x2="${n(cx + cap)}" y2="${n(hi)}"/></g>`,
          );
        }
        // The value goes above the bar, or above its whisker when that reaches higher.
        const labelY = Math.min(top, whisker ? yOf(whisker.hi) : top) - 4;
        out.push(`<text x="${n(cx)}" y="${n(labelY)}" font-size="11" text-anchor="middle" fill="#222">${escapeXml(panel.format(value))}</text>`);
      }
      const short = (series?.label ?? '').split(' ')[0] ?? '';
      out.push(`<text x="${n(cx)}" y="${n(plotY + plotH + 15)}" font-size="11" text-anchor="middle" fill="#444">${escapeXml(short)}</text>`);
    });
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
