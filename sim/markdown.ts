/**
 * A GitHub-flavoured markdown table with its columns padded to one width, so the same text reads
 * as a table in a terminal and renders as one in the README. The first column is left-aligned,
 * the others (figures) right-aligned.
 */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  // A pipe inside a cell would end it.
  const cell = (c: string) => c.replace(/\|/g, '\\|');
  const all = [head, ...rows].map((r) => r.map(cell));
  const widths = head.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${widths.map((w, i) => (i === 0 ? (r[i] ?? '').padEnd(w) : (r[i] ?? '').padStart(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join('\n');
}
