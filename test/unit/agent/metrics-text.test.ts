import { describe, expect, it } from 'vitest';
import { createCounter, renderMetrics } from '../../../src/agent/metrics-text';

describe('Prometheus text', () => {
  it('renders HELP, TYPE and samples with escaped label values', () => {
    const counter = createCounter('x_total', 'Things.\nCounted.', ['route', 'outcome']);
    counter.inc({ route: 'sign', outcome: 'ok' });
    counter.inc({ route: 'sign', outcome: 'ok' }, 2);
    counter.inc({ route: 'a"b\\c\nd', outcome: 'error' });
    expect(counter.get({ route: 'sign', outcome: 'ok' })).toBe(3);
    expect(
      renderMetrics([
        counter.family(),
        {
          name: 'g',
          help: 'A gauge.',
          type: 'gauge',
          samples: [{ value: Number.NaN }, { labels: { p: 'x' }, value: Number.POSITIVE_INFINITY }],
        },
      ]),
    ).toBe(
      [
        '# HELP x_total Things.\\nCounted.',
        '# TYPE x_total counter',
        'x_total{route="sign",outcome="ok"} 3',
        'x_total{route="a\\"b\\\\c\\nd",outcome="error"} 1',
        '# HELP g A gauge.',
        '# TYPE g gauge',
        'g NaN',
        'g{p="x"} +Inf',
        '',
      ].join('\n'),
    );
  });
});
