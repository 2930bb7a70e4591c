/** One metric with its samples, in Prometheus text exposition format 0.0.4. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels?: Record<string, string>; value: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      const text =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      lines.push(`${family.name}${text} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A counter keyed by label values; cheap enough for the request path. */
export function createCounter(name: string, help: string, labelNames: readonly string[]) {
  const values = new Map<string, { labels: Record<string, string>; value: number }>();
  return {
    inc(labels: Record<string, string>, by = 1): void {
      const key = labelNames.map((label) => labels[label] ?? '').join('\0');
      const entry = values.get(key);
      if (entry) entry.value += by;
      else values.set(key, { labels: { ...labels }, value: by });
    },
    get(labels: Record<string, string>): number {
      return values.get(labelNames.map((label) => labels[label] ?? '').join('\0'))?.value ?? 0;
    },
    family(): MetricFamily {
      return { name, help, type: 'counter', samples: [...values.values()] };
    },
  };
}

export type Counter = ReturnType<typeof createCounter>;
