import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { analyzeSummary, statsDocument, traceText } from '../../src/results';

describe('analyzeSummary', () => {
  it('summarises a workspace lift', () => {
    const summary = analyzeSummary({
      version: 1,
      files: 2,
      functions: 5,
      holes: 1,
      errors: [{ path: 'big.py', message: 'larger than the limit' }],
      executions: ['abc123', 'def456'],
      cancelled: false,
    });
    assert.deepEqual(summary, {
      message: 'Lifted 5 functions with 1 hole in 2 files; 1 file skipped.',
      executions: ['abc123', 'def456'],
      problems: ['big.py: larger than the limit'],
    });
  });

  it('says when it was cancelled', () => {
    assert.equal(
      analyzeSummary({ files: 1, functions: 1, holes: 0, cancelled: true })?.message,
      'Lifted 1 function with 0 holes in 1 file (cancelled).',
    );
  });
});

describe('traceText', () => {
  it('puts a header over the recorded lines', () => {
    const text = traceText({
      execution: {
        id: 'abc123',
        graph_type: 'reverse',
        status: 'completed',
        path: 'geometry.py',
        created_at: '2026-01-02T03:04:05',
        total_duration_ms: 12.34,
      },
      nodes: [],
      lines: ['   1  parse  area  1.00 ms'],
    });
    assert.equal(
      text,
      'Execution abc123 · reverse · completed · geometry.py · 2026-01-02T03:04:05 · 12.3 ms\n   1  parse  area  1.00 ms',
    );
  });

  it('rejects an answer without an execution', () => {
    assert.equal(traceText({ lines: [] }), undefined);
  });
});

describe('statsDocument', () => {
  const status = { route: 'auto', routes: { anthropic: { configured: true, breaker: 'open' } } };
  const stats = { version: 1, routes: {}, totals: { calls: 0, tokens: 0, cost_usd: 0 }, status };

  it('shows a bare string as Markdown and an unknown shape as JSON', () => {
    assert.deepEqual(statsDocument('# Routes'), { language: 'markdown', content: '# Routes' });
    assert.deepEqual(statsDocument({ calls: 3 }), { language: 'json', content: '{\n  "calls": 3\n}\n' });
  });

  it("puts the route over the server's Markdown table, and the rest of the answer below", () => {
    const markdown = '| route | calls |\n| --- | --: |\n| anthropic | 2 |\n\nTotal: 2 calls.';
    const shown = statsDocument({ ...stats, text: 'route  calls', markdown });
    assert.equal(shown.language, 'markdown');
    assert.ok(
      shown.content.startsWith(
        `# Lift: route statistics\n\nRoute: **auto** · breaker open: anthropic\n\n${markdown}\n\n## The whole answer\n\n`,
      ),
      shown.content,
    );
    assert.ok(shown.content.includes(JSON.stringify(stats, null, 2)), 'the rest of the answer');
    assert.ok(!shown.content.includes('route  calls'), 'the text table, when there is Markdown');
  });

  it('falls back on the text table in a code block', () => {
    const shown = statsDocument({ ...stats, text: 'route  calls\ntotal: 0 calls, 0 tokens, $0.0000' });
    assert.equal(shown.language, 'markdown');
    assert.match(
      shown.content,
      /^# Lift: route statistics\n\nRoute: \*\*auto\*\* · breaker open: anthropic\n\n```text\nroute {2}calls\n/,
    );
    assert.ok(shown.content.includes(JSON.stringify(stats, null, 2)));
  });
});
