import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  OPTIMIZE_CHOICES,
  ROLLBACK_CHOICES,
  optimizeArguments,
  optimizeOutcome,
  rollbackArguments,
  rollbackMessage,
} from '../../src/learning';

/** The ranker's part of `lift.optimize`, as lift_lsp/learn_command.py reports it. */
const ranker = {
  version: 1,
  activated: false,
  active: 'ranker-0',
  previous: 'ranker-0',
  candidate: null,
  reason: 'too little feedback: 0 holes (0 with an accepted suggestion), at least 10 are needed',
  train_holes: 0,
  heldout_holes: 0,
  metrics: { current: { top1: 0, top5: 0, mrr: 0, holes: 0, misses: 0 }, new: null },
};

/** The programs' part, as lift_lsp/optimize_command.py reports it. */
const programs = {
  version: 1,
  kind: 'programs:anthropic',
  route: 'anthropic',
  activated: true,
  active: 'programs-20261201T101010123456Z',
  previous: 'base',
  reason: 'better on held-out holes',
  metrics: { current: 0.54, new: 0.62 },
};

describe('the choices', () => {
  it('offer everything first, as the server does without an argument', () => {
    assert.deepEqual(
      OPTIMIZE_CHOICES.map((c) => [c.label, optimizeArguments(c.value)]),
      [
        ['Suggestion ranker and LLM programs', [{ what: 'all' }]],
        ['Suggestion ranker only', [{ what: 'ranker' }]],
        ['LLM programs only', [{ what: 'programs' }]],
      ],
    );
  });

  it("roll back the ranker or one route's programs", () => {
    assert.deepEqual(
      ROLLBACK_CHOICES.map((c) => [c.label, rollbackArguments(c.value)]),
      [
        ['Suggestion ranker', [{ kind: 'ranker' }]],
        ['Anthropic programs', [{ kind: 'programs:anthropic' }]],
        ['Modal programs', [{ kind: 'programs:modal' }]],
      ],
    );
  });
});

describe('optimizeOutcome', () => {
  it('says why the ranker was kept, and that no programs were compiled', () => {
    assert.deepEqual(optimizeOutcome({ ...ranker, programs: { skipped: 'no remote route configured' } }), {
      messages: [
        'Kept ranker ranker-0: too little feedback: 0 holes (0 with an accepted suggestion), at least 10 are needed.',
        'LLM programs not compiled: no remote route configured.',
      ],
      failed: false,
    });
  });

  it('names the activated ranker and its scores', () => {
    const metrics = { current: { top1: 0.5 }, new: { top1: 0.7 } };
    assert.deepEqual(
      optimizeOutcome({ ...ranker, activated: true, active: 'ranker-2', reason: 'better on held-out holes', metrics }),
      { messages: ['Activated ranker ranker-2 (top-1 0.700 vs 0.500): better on held-out holes.'], failed: false },
    );
  });

  it('reads the programs alone, when only they were asked for', () => {
    assert.deepEqual(optimizeOutcome({ version: 1, programs }), {
      messages: [
        'Activated Anthropic programs programs-20261201T101010123456Z (score 0.620 vs 0.540): better on held-out holes.',
      ],
      failed: false,
    });
    const kept = {
      kind: 'programs:modal',
      activated: false,
      active: 'base',
      reason: 'no clear improvement',
      metrics: { current: null, new: null },
    };
    assert.deepEqual(optimizeOutcome({ version: 1, programs: kept }), {
      messages: ['Kept Modal programs base: no clear improvement.'],
      failed: false,
    });
  });

  it("keeps the ranker's result when compiling the programs failed", () => {
    const outcome = optimizeOutcome({ ...ranker, programs: { error: 'budget exhausted' } });
    assert.ok(outcome);
    assert.equal(outcome.failed, true);
    assert.deepEqual(outcome.messages.slice(1), ['Compiling the LLM programs failed: budget exhausted.']);
  });

  it('rejects an answer with neither part', () => {
    assert.equal(optimizeOutcome({ version: 1 }), undefined);
    assert.equal(optimizeOutcome('done'), undefined);
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
