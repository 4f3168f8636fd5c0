import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { principalHeaders } from '@commerce/kit';
import type { RouterContext } from './context.js';

const signedPrincipals = new WeakMap<RouterContext, Record<string, string>>();

/**
 * How the router calls a subgraph: the verified principal travels as HMAC-signed headers. Nothing from
 * the client's request is forwarded (the gateway builds a fresh request), in particular not its token.
 */
export class SubgraphSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    url: string,
    private readonly routerSecret: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context.principal) return;
    // Signed once per request, however many subgraph fetches it makes.
    let signed = signedPrincipals.get(context);
    if (!signed) {
      signed = principalHeaders(context.principal, this.routerSecret);
      signedPrincipals.set(context, signed);
    }
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
  }
}
