import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type InspectedSetting, explicitServerSettings, explicitValue, isRoute } from '../../src/settings';

describe('explicitValue', () => {
  it('prefers the folder over the workspace over the user', () => {
    assert.equal(
      explicitValue({ globalValue: 'hint', workspaceValue: 'warning', workspaceFolderValue: 'error' }),
      'error',
    );
    assert.equal(explicitValue({ globalValue: 'hint', workspaceValue: 'warning' }), 'warning');
    assert.equal(explicitValue({ globalValue: 'hint' }), 'hint');
  });

  it('ignores defaults: a setting nobody set has no value', () => {
    assert.equal(explicitValue({}), undefined);
    assert.equal(explicitValue(undefined), undefined);
  });

  it('keeps falsy values a person chose', () => {
    assert.deepEqual(explicitValue({ globalValue: [] }), []);
    assert.equal(explicitValue({ workspaceValue: 0 }), 0);
  });
});

describe('explicitServerSettings', () => {
  it('maps the set keys of section lift, and only those', () => {
    const set: Record<string, InspectedSetting> = {
      severity: { globalValue: 'warning' },
      extendExclude: { workspaceValue: ['generated/'] },
      route: { workspaceFolderValue: 'auto' },
      completionBudgetMs: { globalValue: 150 },
      // A client-only key is never sent, whatever it holds.
      'server.path': { globalValue: '/opt/lift-lsp' },
    };
    assert.deepEqual(
      explicitServerSettings((key) => set[key]),
      { severity: 'warning', extendExclude: ['generated/'], route: 'auto', completionBudgetMs: 150 },
    );
  });

  it('is empty when nothing is set, so pyproject.toml applies', () => {
    assert.deepEqual(
      explicitServerSettings(() => ({})),
      {},
    );
  });
});

describe('isRoute', () => {
  it('knows the four routes', () => {
    for (const route of ['local', 'anthropic', 'modal', 'auto']) {
      assert.ok(isRoute(route));
    }
    assert.equal(isRoute('remote'), false);
    assert.equal(isRoute(undefined), false);
  });
});
