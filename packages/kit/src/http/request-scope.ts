import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { Logger } from '../log.js';
import type { OperationType, RequestOutcome } from '../metrics/requests.js';

/** What is known about the GraphQL request being served; filled in as the request goes through Apollo. */
export interface RequestScope {
  /** The service logger, with `operation` (and `operation_type`) once the operation is known. */
  logger: Logger;
  operationType: OperationType;
  /** Unset until Apollo answered: the request was refused before (bad principal, malformed request). */
  outcome?: RequestOutcome;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the GraphQL request this code runs for, if any. */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

export interface RequestScopeOptions {
  logger: Logger;
  /** The JSON body parser. */
  parseBody: RequestHandler;
  /** Called once per request when the response is finished or the connection closed. */
  onEnd(scope: RequestScope, status: number, seconds: number): void;
}

/**
 * Opens a request scope around the rest of the /graphql pipeline. It runs the body parser itself: the parser
 * continues from the request stream's events, where the AsyncLocalStorage context would be lost.
 */
export function requestScope(options: RequestScopeOptions): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const scope: RequestScope = { logger: options.logger, operationType: 'unknown' };
    res.once('close', () => options.onEnd(scope, res.statusCode, (performance.now() - started) / 1000));
    void options.parseBody(req, res, (error?: unknown) => (error ? next(error) : storage.run(scope, () => next())));
  };
}

const OPERATION_TYPES = new Set<OperationType>(['query', 'mutation', 'subscription']);

/** Records the operation and the outcome in the request scope, and names the operation in the scope's logger. */
export function requestScopePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const scope = currentRequest();
      if (!scope) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation;
          scope.operationType = type && OPERATION_TYPES.has(type) ? type : 'unknown';
          const named = operationName ? { operation: operationName.slice(0, 100) } : {};
          scope.logger = scope.logger.child({ ...named, operation_type: scope.operationType });
        },
        async willSendResponse({ operation, response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          // Nothing was executed when there is no operation (the document did not parse or validate) or no `data`
          // (the variables did not coerce); an execution that failed has `data`, if only null.
          const executed = operation !== undefined && result?.data !== undefined;
          scope.outcome = !executed ? 'rejected' : result?.errors?.length ? 'error' : 'success';
        },
      };
    },
  };
}
