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

test('a connection the database closed mid-transaction (a driver adapter ConnectionClosed) is SERVICE_UNAVAILABLE, logged as a warning', () => {
  const { lines, logger } = capture();
  // what @prisma/adapter-pg throws when PostgreSQL restarts under a transaction, as the resolver's GraphQLError wraps it
  const adapterError = Object.assign(new Error('ConnectionClosed'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } });
  const error = new GraphQLError('ConnectionClosed', { originalError: adapterError });
  const formatted = { message: error.message, path: ['changeProductPrice'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  const reported = hideInternalErrors(formatted, error, logger);
  assert.equal(reported.extensions?.code, 'SERVICE_UNAVAILABLE');
  assert.deepEqual(reported.path, ['changeProductPrice']);
  assert.deepEqual(
    lines.map((line) => line.level),
    ['warn'],
  );
  // a constraint failure from the same adapter stays an internal error
  const other = Object.assign(new Error('UniqueConstraintViolation'), {
    name: 'DriverAdapterError',
    cause: { kind: 'UniqueConstraintViolation' },
  });
  assert.equal(
    hideInternalErrors(formatted, new GraphQLError('x', { originalError: other }), logger).extensions?.code,
    'INTERNAL_SERVER_ERROR',
  );
});
