import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLError } from 'graphql';
import { createLogger, hideInternalErrors } from '../src/index.js';

function capture() {
  const lines: { level: string }[] = [];
  return {
    lines,
    logger: createLogger('errors-test', 'warn', { write: (line: string) => void lines.push(JSON.parse(line) as { level: string }) }),
  };
}

test("an error Apollo Server answers with a 4xx status but no code is the client's: BAD_REQUEST with its message, not logged", () => {
  const { lines, logger } = capture();
  const error = new GraphQLError('Unsupported persisted query version', { extensions: { http: { status: 400 } } });
  const formatted = { message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  assert.deepEqual(hideInternalErrors(formatted, error, logger), {
    message: 'Unsupported persisted query version',
    extensions: { code: 'BAD_REQUEST' },
  });
  assert.equal(lines.length, 0);
});

test('anything else without a code stays masked and is logged as an error', () => {
  const { lines, logger } = capture();
  for (const error of [new Error('database password is hunter2'), new GraphQLError('boom', { extensions: { http: { status: 500 } } })]) {
    const formatted = { message: error.message, path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    assert.deepEqual(hideInternalErrors(formatted, error, logger), {
      message: 'Internal server error',
      path: ['x'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  }
  assert.deepEqual(
    lines.map((line) => line.level),
    ['error', 'error'],
  );
});
