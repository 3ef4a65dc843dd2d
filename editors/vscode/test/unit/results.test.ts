import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { analyzeSummary, optimizeMessage, rollbackMessage, statsDocument, traceText } from '../../src/results';

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

describe('optimizeMessage', () => {
  const metrics = {
    current: { top1: 0.5, top5: 0.8, mrr: 0.6, holes: 10 },
    new: { top1: 0.7, top5: 0.9, mrr: 0.8, holes: 10 },
  };

  it('names the activated ranker and its scores', () => {
    assert.equal(
      optimizeMessage({ activated: true, active: 'ranker-v2', reason: 'better on held-out holes', metrics }),
      'Activated ranker ranker-v2 (top-1 0.700 vs 0.500): better on held-out holes.',
    );
  });

  it('says why the ranker was kept', () => {
    assert.equal(
      optimizeMessage({
        activated: false,
        active: 'ranker-v1',
        reason: 'no feedback recorded',
        metrics: { current: null, new: null },
      }),
      'Kept ranker ranker-v1: no feedback recorded.',
    );
  });
});

describe('rollbackMessage', () => {
  it("uses the server's wording", () => {
    assert.equal(
      rollbackMessage({ rolled_back: 'b', active: 'a', message: 'rolled back b; a is active again' }),
      'rolled back b; a is active again',
    );
    assert.equal(rollbackMessage('nope'), undefined);
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
  it('shows Markdown as Markdown and an unknown shape as JSON', () => {
    assert.deepEqual(statsDocument('# Routes'), { language: 'markdown', content: '# Routes' });
    assert.deepEqual(statsDocument({ markdown: '# Routes', routes: {} }), {
      language: 'markdown',
      content: '# Routes',
    });
    assert.deepEqual(statsDocument({ calls: 3 }), { language: 'json', content: '{\n  "calls": 3\n}\n' });
  });

  it("puts the server's table and route above the whole answer", () => {
    const answer = {
      version: 1,
      routes: {},
      totals: { calls: 0, tokens: 0, cost_usd: 0 },
      status: { route: 'auto', routes: { anthropic: { configured: true, breaker: 'open' } } },
      text: 'route  calls\ntotal: 0 calls, 0 tokens, $0.0000',
    };
    const shown = statsDocument(answer);
    assert.equal(shown.language, 'markdown');
    assert.match(
      shown.content,
      /^# Lift: route statistics\n\nRoute: \*\*auto\*\* · breaker open: anthropic\n\n```text\nroute {2}calls\n/,
    );
    assert.ok(shown.content.includes(JSON.stringify(answer, null, 2)));
  });
});
