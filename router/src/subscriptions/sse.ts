import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import type { Caller, SubscriptionSessions } from './sessions.js';
import { defined } from '@commerce/kit';

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  SERVICE_UNAVAILABLE: 503,
  REQUEST_RATE_LIMITED: 429,
  UNAUTHORIZED_FIELD_OR_TYPE: 403,
};

/**
 * GraphQL over Server-Sent Events (the graphql-sse protocol, "distinct connections" mode) for clients that
 * can only speak HTTP: POST (or GET) an operation with `Accept: text/event-stream`; events arrive as `next`,
 * the stream ends with `complete`. The token is the request's Authorization header. A refused operation is
 * a plain JSON response with the status of its code (401, 403, 429, 503, else 400); a query's result, or a
 * subscription that failed once started, is one `next` and `complete`.
 */
export function sseTransport(
  sessions: SubscriptionSessions,
  apiSchema: () => GraphQLSchema | undefined,
  clientAddress: (request: IncomingMessage) => string,
): RequestHandler {
  const handler = createHandler({
    schema: () => defined(apiSchema(), 'the API schema'),
    onSubscribe: async (req, params) => {
      const raw = req.raw;
      const declared = raw.headers['apollographql-client-name'];
      const clientName = typeof declared === 'string' ? declared : undefined;
      const incoming = { ...params, query: String(params.query ?? '') };
      const auth = await sessions.authenticate(raw.headers.authorization);
      if (!auth.ok) {
        const errors = [{ message: auth.message, extensions: { code: auth.code } }];
        sessions.refused({ clientName }, incoming, errors, true); // the token check counted its code
        return refusal(errors);
      }
      const caller: Caller = { token: auth.token, address: clientAddress(raw), clientName };
      const started = await sessions.start(caller, incoming, 0, () => {});
      if (started.kind === 'refused') return refusal(started.errors);
      // As a one-event stream: graphql-sse takes a result without `data` (errors only) for execution arguments.
      if (started.kind === 'result') return once(started.result as ExecutionResult);
      return started.stream as AsyncIterableIterator<ExecutionResult>;
    },
  });
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}

async function* once(result: ExecutionResult): AsyncGenerator<ExecutionResult> {
  yield result;
}

function refusal(
  errors: GraphQLFormattedError[],
): readonly [string, { status: number; statusText: string; headers: Record<string, string> }] {
  const status = STATUS_BY_CODE[String(errors[0]?.extensions?.code)] ?? 400;
  return [
    JSON.stringify({ errors }),
    {
      status,
      statusText: String(errors[0]?.extensions?.code ?? 'Bad Request'),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    },
  ];
}
