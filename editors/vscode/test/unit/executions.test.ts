import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  executionIdProblem,
  executionPickItem,
  formatAge,
  formatDuration,
  formatTime,
  parseExecutions,
} from '../../src/executions';

/** One run as `lift.listExecutions` returns it (lift_lsp/server/features/reverse.py). */
const run = {
  id: '3dca438265854d1cb4a942ece4106733',
  graph_type: 'reverse',
  status: 'completed',
  path: 'geometry.py',
  created_at: '2026-11-26T11:20:01.761825+00:00',
  duration_ms: 1.7848700008471496,
  llm_calls: 0,
};
const FIVE_MINUTES_LATER = Date.parse('2026-11-26T11:25:30Z');

describe('parseExecutions', () => {
  it('reads the runs in the order given, skipping entries without an id', () => {
    const runs = parseExecutions({ version: 1, executions: [run, { status: 'completed' }, 'x'] });
    assert.deepEqual(runs, [
      {
        id: run.id,
        graphType: 'reverse',
        status: 'completed',
        path: 'geometry.py',
        createdAt: run.created_at,
        durationMs: run.duration_ms,
        llmCalls: 0,
      },
    ]);
  });

  it('reads an empty listing, and rejects what is not one', () => {
    assert.deepEqual(parseExecutions({ version: 1, executions: [] }), []);
    assert.equal(parseExecutions({ version: 1 }), undefined);
    assert.equal(parseExecutions([run]), undefined);
  });
});

describe('executionPickItem', () => {
  it('labels the file; describes the graph, status and duration; details the id and time', () => {
    const [summary] = parseExecutions({ executions: [run] }) ?? [];
    assert.ok(summary);
    assert.deepEqual(executionPickItem(summary, FIVE_MINUTES_LATER), {
      label: 'geometry.py',
      description: 'reverse · completed · 1.8 ms',
      detail: '3dca438265854d1cb4a942ece4106733 · 2026-11-26 11:20:01 UTC · 5 min ago',
    });
  });

  it('names a run without a file, and counts its LLM calls', () => {
    const [summary] =
      parseExecutions({
        executions: [{ ...run, graph_type: 'forward', status: 'running', path: null, duration_ms: null, llm_calls: 3 }],
      }) ?? [];
    assert.ok(summary);
    const item = executionPickItem(summary, FIVE_MINUTES_LATER);
    assert.equal(item.label, '(forward run, no file)');
    assert.equal(item.description, 'forward · running · 3 LLM calls');
  });
});

describe('formatting', () => {
  it('shows durations in ms, then seconds', () => {
    assert.equal(formatDuration(13.909), '13.9 ms');
    assert.equal(formatDuration(2345), '2.3 s');
  });

  it('shows times in UTC, and an unreadable one as it is', () => {
    assert.equal(formatTime('2026-11-26T12:20:01.5+01:00'), '2026-11-26 11:20:01 UTC');
    assert.equal(formatTime('yesterday'), 'yesterday');
  });

  it('says how long ago', () => {
    const at = '2026-11-26T11:20:01Z';
    const start = Date.parse(at);
    assert.equal(formatAge(at, start + 30_000), 'just now');
    assert.equal(formatAge(at, start - 30_000), 'just now');
    assert.equal(formatAge(at, start + 3 * 3_600_000), '3 h ago');
    assert.equal(formatAge(at, start + 49 * 3_600_000), '2 days ago');
    assert.equal(formatAge('yesterday', start), undefined);
  });
});

describe('executionIdProblem', () => {
  it('wants six characters or more', () => {
    assert.equal(executionIdProblem(' 3dca43 '), undefined);
    assert.equal(executionIdProblem('3dca4'), 'At least 6 characters');
  });
});
