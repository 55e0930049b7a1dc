import test from 'ava';
import { describeErrorBody, parseErrorBody } from '../../../../src/image/registry/response-body.js';

test('parses distribution-spec error bodies', (t) => {
  const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } }, { code: 'DENIED', message: 'no' }] });
  t.deepEqual(parseErrorBody(body), [
    { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } },
    { code: 'DENIED', message: 'no' },
  ]);
  t.is(describeErrorBody(body), 'MANIFEST_UNKNOWN: manifest unknown ({"Tag":"nope"}); DENIED: no');
});

test('malformed entries default to UNKNOWN; non-JSON bodies become a short printable excerpt', (t) => {
  t.deepEqual(parseErrorBody('{"errors":[{"message":7}, 3]}'), [{ code: 'UNKNOWN', message: '' }]);
  t.deepEqual(parseErrorBody('<html>'), []);
  t.is(describeErrorBody('<html>\u0000\u0007oops</html>'), '<html> oops</html>');
  t.is(describeErrorBody('x'.repeat(1000)).length, 203);
});
