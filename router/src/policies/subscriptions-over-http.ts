import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from '@commerce/kit';
import type { RouterContext } from '../context.js';

export const SUBSCRIPTION_OVER_HTTP_CODE = 'SUBSCRIPTION_OVER_HTTP_NOT_SUPPORTED';

/**
 * A subscription sent as a plain HTTP request (GraphiQL-like tools do that) is the client's mistake, not the
 * router's: HTTP 400 with a code and where subscriptions go, before anything is planned. Apollo Router speaks
 * multipart HTTP for subscriptions; this router speaks graphql-ws on /graphql and graphql-sse on /graphql/stream.
 */
export function subscriptionsOverHttp(logger: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation !== 'subscription') return;
          logger.info({ operationName: request.operationName }, 'subscription over plain HTTP refused');
          throw new GraphQLError(
            'Subscriptions are not served over plain HTTP: use a WebSocket (graphql-ws protocol) on /graphql, or Server-Sent Events (graphql-sse protocol) on /graphql/stream',
            { extensions: { code: SUBSCRIPTION_OVER_HTTP_CODE, http: { status: 400, headers: new HeaderMap() } } },
          );
        },
      };
    },
  };
}
