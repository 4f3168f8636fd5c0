/** Counts the SQL statements a Prisma client sends: the proof that loaders batch instead of querying per row. */
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
    count += 1;
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
