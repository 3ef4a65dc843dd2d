import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { serverEnvironment, storedKeysSummary } from '../../src/serverEnv';

describe('serverEnvironment', () => {
  it('passes stored keys as the variables the server reads', () => {
    const env = serverEnvironment(
      { PATH: '/usr/bin' },
      { anthropicApiKey: 'sk-ant-1', modalKey: 'mk', modalSecret: 'ms' },
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'sk-ant-1',
      LIFT_MODAL_KEY: 'mk',
      LIFT_MODAL_SECRET: 'ms',
    });
  });

  it("keeps the editor's environment, a stored key winning over an inherited one", () => {
    const env = serverEnvironment(
      { HOME: '/home/ada', ANTHROPIC_API_KEY: 'from-shell', UNSET: undefined },
      { anthropicApiKey: 'stored' },
    );
    assert.deepEqual(env, { HOME: '/home/ada', ANTHROPIC_API_KEY: 'stored' });
  });

  it('adds nothing for keys that are not stored', () => {
    assert.deepEqual(serverEnvironment({ A: '1' }, { modalKey: '', modalSecret: undefined }), { A: '1' });
  });

  it('does not change the environment it starts from', () => {
    const base = { A: '1' };
    serverEnvironment(base, { anthropicApiKey: 'k' });
    assert.deepEqual(base, { A: '1' });
  });
});

describe('storedKeysSummary', () => {
  it('names the variables, never the values', () => {
    const summary = storedKeysSummary({ anthropicApiKey: 'sk-ant-secret' });
    assert.equal(summary, 'stored: ANTHROPIC_API_KEY');
    assert.doesNotMatch(summary, /secret/);
    assert.equal(storedKeysSummary({}), 'no keys stored');
  });
});
