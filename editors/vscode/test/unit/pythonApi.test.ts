import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { interpreterFromPythonApi, onInterpreterChange } from '../../src/pythonApi';

describe('interpreterFromPythonApi', () => {
  it('reads the active environment (current API)', () => {
    const api = { environments: { getActiveEnvironmentPath: () => ({ id: 'x', path: '/envs/a/bin/python' }) } };
    assert.equal(interpreterFromPythonApi(api, undefined), '/envs/a/bin/python');
  });

  it('passes the resource on', () => {
    let seen: unknown;
    const api = {
      environments: {
        getActiveEnvironmentPath: (resource: unknown) => {
          seen = resource;
          return { path: '/p' };
        },
      },
    };
    interpreterFromPythonApi(api, 'folder');
    assert.equal(seen, 'folder');
  });

  it('reads the execution details (older API), but not a multi-part command', () => {
    assert.equal(
      interpreterFromPythonApi(
        { settings: { getExecutionDetails: () => ({ execCommand: ['/usr/bin/python3'] }) } },
        undefined,
      ),
      '/usr/bin/python3',
    );
    assert.equal(
      interpreterFromPythonApi(
        { settings: { getExecutionDetails: () => ({ execCommand: ['conda', 'run'] }) } },
        undefined,
      ),
      undefined,
    );
  });

  it('gives up quietly on anything else', () => {
    assert.equal(interpreterFromPythonApi(undefined, undefined), undefined);
    assert.equal(interpreterFromPythonApi({ environments: {} }, undefined), undefined);
    const throwing = {
      environments: {
        getActiveEnvironmentPath: () => {
          throw new Error('not ready');
        },
      },
    };
    assert.equal(interpreterFromPythonApi(throwing, undefined), undefined);
  });
});

describe('onInterpreterChange', () => {
  it('subscribes to the active environment changing', () => {
    const listeners: (() => void)[] = [];
    let disposed = false;
    const api = {
      environments: {
        onDidChangeActiveEnvironmentPath(listener: () => void) {
          listeners.push(listener);
          return { dispose: () => (disposed = true) };
        },
      },
    };
    let changes = 0;
    const subscription = onInterpreterChange(api, () => changes++);
    listeners.forEach((listener) => {
      listener();
    });
    assert.equal(changes, 1);
    subscription?.dispose();
    assert.ok(disposed);
  });

  it('is undefined for an API without the event', () => {
    assert.equal(
      onInterpreterChange({ settings: {} }, () => undefined),
      undefined,
    );
    assert.equal(
      onInterpreterChange(undefined, () => undefined),
      undefined,
    );
  });
});
