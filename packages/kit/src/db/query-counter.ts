import { currentRequest } from '../http/request-scope.js';

/**
 * Counts the SQL statements a Prisma client sends while serving GraphQL requests: the proof that loaders batch
 * instead of querying per row. Background work (outbox relay, sweepers, consumers) runs outside any request and is
 * not counted, so a timer firing during a measurement cannot change it.
 */
export interface QueryCounter {
  readonly count: number;
  reset(): void;
}

interface QueryEventSource {
  $on(event: 'query', listener: (event: { query: string }) => void): void;
}

export function countQueries(client: QueryEventSource): QueryCounter {
  let count = 0;
  client.$on('query', () => {
    if (currentRequest()) count += 1;
  });
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
