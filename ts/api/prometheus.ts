// SPDX-License-Identifier: Apache-2.0
// Prometheus text exposition format 0.0.4, hand-written: a few families of counters, gauges and one
// histogram do not justify a client library.
import type { HistogramSnapshot } from './service';

/** Content-Type of the exposition. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

/** One metric family: a name, help text, and its samples. */
export type MetricFamily =
  | { type: 'counter' | 'gauge'; name: string; help: string; samples: { labels?: Labels; value: number }[] }
  | { type: 'histogram'; name: string; help: string; samples: { labels?: Labels; value: HistogramSnapshot }[] };

/** Formats families as exposition text (ending with a newline). */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type === 'histogram') {
      for (const { labels, value } of family.samples) lines.push(...histogramLines(family.name, labels ?? {}, value));
    } else {
      for (const { labels, value } of family.samples) {
        lines.push(`${family.name}${formatLabels(labels ?? {})} ${formatValue(value)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function histogramLines(name: string, labels: Labels, h: HistogramSnapshot): string[] {
  let cumulative = 0;
  const lines = h.bounds.map((bound, i) => {
    cumulative += h.counts[i];
    return `${name}_bucket${formatLabels({ ...labels, le: formatValue(bound) })} ${cumulative}`;
  });
  const total = h.counts.reduce((a, b) => a + b, 0);
  lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${total}`);
  lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(h.sum)}`);
  lines.push(`${name}_count${formatLabels(labels)} ${total}`);
  return lines;
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
