import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { openBreakers, parseRouteStatus, statusBarView } from '../../src/routeStatus';

const notification = {
  route: 'auto',
  routes: {
    local: { configured: true, breaker: 'closed' },
    anthropic: { configured: true, breaker: 'open' },
    modal: { configured: false, breaker: 'open' },
  },
};

describe('parseRouteStatus', () => {
  it('reads the notification', () => {
    const status = parseRouteStatus(notification);
    assert.ok(status);
    assert.equal(status.route, 'auto');
    assert.deepEqual(status.routes.anthropic, { configured: true, breaker: 'open' });
  });

  it('rejects what is not a status', () => {
    assert.equal(parseRouteStatus(null), undefined);
    assert.equal(parseRouteStatus({ route: 'elsewhere', routes: {} }), undefined);
  });

  it('reads an unknown breaker state as closed and tolerates missing routes', () => {
    const status = parseRouteStatus({ route: 'local', routes: { local: { configured: true, breaker: 'ajar' } } });
    assert.deepEqual(status?.routes, { local: { configured: true, breaker: 'closed' } });
  });
});

describe('openBreakers', () => {
  it('counts configured routes only', () => {
    const status = parseRouteStatus(notification);
    assert.ok(status);
    assert.deepEqual(openBreakers(status), ['anthropic']);
  });
});

describe('statusBarView', () => {
  it('shows the active route', () => {
    const status = parseRouteStatus({ route: 'local', routes: { local: { configured: true, breaker: 'closed' } } });
    const view = statusBarView('running', status, 'local');
    assert.equal(view.text, '$(symbol-variable) lift: local');
    assert.equal(view.background, undefined);
    assert.match(view.tooltip, /local: configured, breaker closed/);
  });

  it('warns about an open breaker', () => {
    const view = statusBarView('running', parseRouteStatus(notification), 'local');
    assert.equal(view.text, '$(symbol-variable) lift: auto (anthropic breaker open)');
    assert.equal(view.background, 'warning');
    assert.match(view.tooltip, /modal: not configured/);
  });

  it('lists several open breakers', () => {
    const both = { ...notification, routes: { ...notification.routes, modal: { configured: true, breaker: 'open' } } };
    assert.equal(
      statusBarView('running', parseRouteStatus(both), 'local').text,
      '$(symbol-variable) lift: auto (anthropic, modal breakers open)',
    );
  });

  it('falls back to the configured route when the server reports none', () => {
    const view = statusBarView('running', undefined, 'modal');
    assert.equal(view.text, '$(symbol-variable) lift: modal');
    assert.match(view.tooltip, /from the settings/);
  });

  it('shows a starting and a stopped server', () => {
    assert.equal(statusBarView('starting', undefined, 'local').text, '$(sync~spin) lift: starting');
    const stopped = statusBarView('stopped', parseRouteStatus(notification), 'local');
    assert.equal(stopped.text, '$(error) lift: stopped');
    assert.equal(stopped.background, 'error');
  });
});
