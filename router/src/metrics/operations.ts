import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler, Response } from 'express';
import type { RouterContext } from '../context.js';
import { REJECTION_CODES, type GraphqlErrorType, type OperationOutcome, type OperationType, type RouterMetrics } from '../metrics.js';

export const CLIENT_NAME_HEADER = 'apollographql-client-name';

/**
 * Per-operation metrics of what Apollo Server answers: router_operations_total, the operation duration,
 * router_rejections_total (each code once per response), and the APQ and parsed-document cache lookups.
 */
export function operationMetrics(metrics: RouterMetrics): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ request }) {
      const started = performance.now();
      let parsed = false;
      return {
        async parsingDidStart() {
          parsed = true; // Apollo Server parses only when its document cache (keyed by query hash) misses
          metrics.cacheLookup('document', false);
        },
        async didResolveOperation() {
          if (!parsed) metrics.cacheLookup('document', true);
        },
        async willSendResponse(requestContext) {
          const { response } = requestContext;
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          let outcome: OperationOutcome = 'success';
          let errorType: GraphqlErrorType | null | undefined;
          if (result.errors?.length) {
            const { codes, refused } = countRejections(metrics, result.errors);
            // No data: refused before execution. A policy code beside data (a filtered field) ran, with errors.
            outcome = refused && result.data === undefined ? 'rejected' : 'error';
            if (codes.has('PERSISTED_QUERY_NOT_FOUND')) metrics.cacheLookup('apq', false);
            errorType = graphqlErrorType(outcome, codes);
            if (outcome === 'error' && filteredOnly(result)) {
              metrics.filteredAnswer();
              errorType = null;
            }
          }
          if (requestContext.metrics.persistedQueryHit) metrics.cacheLookup('apq', true);
          metrics.operation(
            metrics.operationNames.value(requestContext.operationName ?? request.operationName),
            (requestContext.operation?.operation ?? 'unknown') as OperationType,
            metrics.clientNames.value(request.http?.headers.get(CLIENT_NAME_HEADER)),
            outcome,
            (performance.now() - started) / 1000,
            errorType,
          );
        },
      };
    },
  };
}

/** OpenTelemetry's GraphQL error.type of a response with errors (see GraphqlErrorType). */
export function graphqlErrorType(outcome: OperationOutcome, codes: ReadonlySet<string>): GraphqlErrorType {
  if (outcome === 'rejected') return '_rejected';
  if (codes.has('GRAPHQL_PARSE_FAILED')) return '_parse_error';
  if (codes.has('GRAPHQL_VALIDATION_FAILED')) return '_validation_error';
  return '_execution_error';
}

/** A partial answer: data, and no error but the fields authorization filtered out (filter mode). */
export function filteredOnly(result: { data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] }): boolean {
  return result.data != null && (result.errors ?? []).every((error) => error.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE');
}

/**
 * Counts each error code of a response once in router_rejections_total (policy codes only, see
 * RouterMetrics.rejection); `refused`: one of them is a policy's.
 */
export function countRejections(
  metrics: RouterMetrics,
  errors: readonly { extensions?: Record<string, unknown> }[],
): { codes: Set<string>; refused: boolean } {
  const codes = new Set<string>();
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code === 'string') codes.add(code);
  }
  let refused = false;
  for (const code of codes) {
    metrics.rejection(code);
    refused ||= REJECTION_CODES.has(code);
  }
  return { codes, refused };
}

const reachedApollo = new WeakSet<Response>();

/** The leading operation's type and name, read without parsing: `query Name`, or `{` for an anonymous query. */
const LEADING_OPERATION = /^\s*(?:#[^\n]*\n\s*)*(?:(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?|\{)/;

/** What the operation labels are made of, before they are bounded. */
export interface OperationLabels {
  name?: string;
  type: OperationType;
}

/**
 * An operation that was not parsed (or not validly): its name is the declared `operationName`, else the leading
 * operation's, as is its type (`unknown` when the text does not start with an operation).
 */
export function declaredOperation(query: unknown, operationName: unknown): OperationLabels {
  const leading = typeof query === 'string' ? LEADING_OPERATION.exec(query) : null;
  const type: OperationType = leading ? ((leading[1] as OperationType | undefined) ?? 'query') : 'unknown';
  const name = typeof operationName === 'string' ? operationName : leading?.[2];
  return { name, type };
}

/**
 * Requests that express middleware refuses before Apollo Server sees them (persisted queries, a bad token,
 * request limits, a body that is not JSON): each operation of the request counts as `rejected`. They are
 * never parsed: see declaredOperation. Mount `start` first on /graphql and `reached` right before Apollo
 * Server's middleware.
 */
export function refusedRequestMetrics(metrics: RouterMetrics): { start: RequestHandler; reached: RequestHandler } {
  return {
    start: (req, res, next) => {
      const started = performance.now();
      res.once('finish', () => {
        if (reachedApollo.has(res)) return;
        const seconds = (performance.now() - started) / 1000;
        const header = req.headers[CLIENT_NAME_HEADER];
        const client = metrics.clientNames.value(Array.isArray(header) ? header[0] : header);
        const body: unknown = req.body;
        for (const entry of Array.isArray(body) ? body : [body ?? req.query]) {
          const { operationName, query } = (entry ?? {}) as { operationName?: unknown; query?: unknown };
          const { name, type } = declaredOperation(query, operationName);
          metrics.operation(metrics.operationNames.value(name), type, client, 'rejected', seconds);
        }
      });
      next();
    },
    reached: (_req, res, next) => {
      reachedApollo.add(res);
      next();
    },
  };
}
