import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { holePickItem, listSummary, parseListHoles, parseLocation } from '../../src/holes';

/** One entry as `lift.listHoles` returns it (see lift_lsp/server/features/commands.py). */
const entry = {
  path: 'geometry.py',
  location: { row: 2, column: 12 },
  end_location: { row: 2, column: 15 },
  kind: 'expression',
  name: 'area#1',
  expected_type: 'float',
  function: 'area',
  message: 'hole of type float',
  uri: 'file:///work/geometry.py',
  range: { start: { line: 1, character: 11 }, end: { line: 1, character: 14 } },
};

describe('parseListHoles', () => {
  it('reads holes, errors and cancellation', () => {
    const listing = parseListHoles({
      version: 1,
      holes: [entry],
      errors: [{ path: 'big.py', message: 'too large' }],
      cancelled: false,
    });
    assert.ok(listing);
    assert.equal(listing.holes.length, 1);
    assert.equal(listing.holes[0]?.expectedType, 'float');
    assert.deepEqual(listing.errors, [{ path: 'big.py', message: 'too large' }]);
  });

  it('reads a hole with no known type or function', () => {
    const listing = parseListHoles({ holes: [{ ...entry, expected_type: null, function: null }] });
    assert.equal(listing?.holes[0]?.expectedType, undefined);
    assert.equal(listing?.holes[0]?.function, undefined);
  });

  it('skips malformed entries and rejects what is not a listing', () => {
    assert.equal(parseListHoles({ holes: [{ name: 'x' }, entry] })?.holes.length, 1);
    assert.equal(parseListHoles([entry]), undefined);
  });
});

describe('holePickItem', () => {
  it('shows name, type, kind, function and a 1-based position', () => {
    const hole = parseListHoles({ holes: [entry] })?.holes[0];
    assert.ok(hole);
    assert.deepEqual(holePickItem(hole), {
      label: '$(symbol-variable) area#1',
      description: 'float · expression in area',
      detail: 'geometry.py:2:12 — hole of type float',
    });
  });

  it('copes with a hole outside a function and of an unknown kind', () => {
    const hole = parseListHoles({
      holes: [{ ...entry, kind: 'future', function: null, expected_type: null, message: '' }],
    })?.holes[0];
    assert.ok(hole);
    assert.deepEqual(holePickItem(hole), {
      label: '$(circle-outline) area#1',
      description: 'unknown type · future',
      detail: 'geometry.py:2:12',
    });
  });
});

describe('listSummary', () => {
  it('counts holes, files and problems', () => {
    const listing = parseListHoles({
      holes: [entry, { ...entry, name: 'b' }],
      errors: [{ path: 'x.py', message: 'm' }],
      cancelled: true,
    });
    assert.ok(listing);
    assert.equal(
      listSummary(listing),
      '2 holes in 1 file; 1 file not read (see the Lift output); listing cancelled, incomplete',
    );
  });
});

describe('parseLocation', () => {
  it('reads the answer of lift.nextHole', () => {
    assert.deepEqual(parseLocation({ uri: entry.uri, range: entry.range }), { uri: entry.uri, range: entry.range });
    assert.equal(parseLocation(null), undefined);
    assert.equal(parseLocation({ uri: entry.uri, range: { start: { line: 1 } } }), undefined);
  });
});
