import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql's `subscribe`, except that every event is executed with a fresh context from `contextFor`: a
 * subscription lives for hours, and per-request state (DataLoader caches) must not outlive one event.
 * The subscribe resolver itself gets `args.contextValue`.
 */
export async function subscribeWithFreshContexts(
  args: ExecutionArgs,
  contextFor: () => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream;
  return mapAsyncIterator(stream[Symbol.asyncIterator](), (event) => execute({ ...args, rootValue: event, contextValue: contextFor() }));
}

/**
 * Maps an async iterator. Not an async generator on purpose: a generator waiting for the next event cannot
 * be returned until that event comes, whereas `return()` here unsubscribes at once.
 */
export function mapAsyncIterator<T, U>(source: AsyncIterator<T>, map: (value: T) => U | Promise<U>): AsyncIterableIterator<U> {
  return {
    async next() {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
