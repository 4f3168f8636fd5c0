import { GraphiQL, type GraphiQLProps } from 'graphiql';
import {
  buildSchema,
  getOperationAST,
  GraphQLError,
  parse,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { StrictMode, useEffect, useMemo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import './explorer.css';

/**
 * The partners' schema explorer: GraphiQL against the router's own /graphql, with the bearer token pasted
 * into the page. The token lives in this tab's sessionStorage only (so do GraphiQL's tabs and history),
 * and goes out as `Authorization: Bearer <token>` on every request.
 *
 * The schema (docs, completion, validation) comes from /schema.graphql, which answers whom introspection
 * answers, rather than from GraphiQL's introspection query: that query is deeper and larger than the
 * router's default operation limits allow.
 *
 * Queries and mutations go over HTTP; subscriptions over a WebSocket (graphql-ws on the same /graphql, the
 * token in connection_init), which the router opens lazily and closes when the token changes.
 */
type Fetcher = GraphiQLProps['fetcher'];
interface SchemaState {
  /** null: none (GraphiQL must not introspect by itself). */
  schema: GraphQLSchema | null;
  problem?: string;
}

const TOKEN_KEY = 'explorer:token';
const DEFAULT_QUERY = `# Paste an access token above: the docs and completion need the schema:read scope.
# Ctrl-Enter runs the operation.
query Categories {
  categories {
    name
  }
}
`;

// Radix UI's dialogs insert a <style> element; react-style-singleton stamps it with this nonce (read through
// get-nonce's webpack global), which the page's Content-Security-Policy allows.
(globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ =
  document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;

const authorization = (token: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

function fetcherFor(token: string, webSocket: Client): Fetcher {
  return async (params, options) => {
    if (isSubscription(params.query, params.operationName)) return overWebSocket(webSocket, params);
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        'apollographql-client-name': 'explorer',
        ...options?.headers,
        ...authorization(token),
      },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as ExecutionResult; // GraphiQL's type for what it only displays as JSON
    } catch {
      return { errors: [new GraphQLError(`The router answered HTTP ${response.status}: ${text.slice(0, 200)}`)] };
    }
  };
}

function webSocketFor(token: string): Client {
  return createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { ...authorization(token), 'apollographql-client-name': 'explorer' },
    lazy: true,
    retryAttempts: 0,
  });
}

/** Unparsable documents go over HTTP: the router's answer names the syntax error. */
function isSubscription(query: string, operationName: string | null | undefined): boolean {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false;
  }
}

type Sink = { next(value: ExecutionResult): void; error(error: unknown): void; complete(): void };
type Next = (value: ExecutionResult) => void;

/**
 * An Observable GraphiQL shows event by event; a refusal (a list of GraphQL errors) is shown as a result.
 * It takes an observer object (what GraphiQL passes) or rxjs-style callbacks, as GraphiQL's Observable type lists.
 */
function overWebSocket(client: Client, params: Parameters<Fetcher>[0]) {
  const ignore = () => {};
  return {
    subscribe(observer?: Sink | Next, error?: ((error: unknown) => void) | null, complete?: () => void) {
      const sink: Sink =
        typeof observer === 'object' ? observer : { next: observer ?? ignore, error: error ?? ignore, complete: complete ?? ignore };
      const unsubscribe = client.subscribe<Record<string, unknown>>(
        {
          query: params.query,
          operationName: params.operationName ?? undefined,
          variables: params.variables as Record<string, unknown> | undefined,
        },
        {
          next: (value) => sink.next(value as ExecutionResult),
          error: (error) => {
            if (Array.isArray(error)) {
              sink.next({ errors: error } as ExecutionResult);
              return sink.complete();
            }
            const closed = error as { code?: number; reason?: string };
            sink.error(
              error instanceof Error
                ? error
                : new Error(`The WebSocket closed (${closed?.code ?? 'no code'} ${closed?.reason ?? ''})`.trim()),
            );
          },
          complete: () => sink.complete(),
        },
      );
      return { unsubscribe };
    },
  };
}

async function loadSchema(token: string): Promise<SchemaState> {
  const response = await fetch('/schema.graphql', { headers: authorization(token) });
  const text = await response.text();
  if (response.ok) return { schema: buildSchema(text) };
  let problem = `HTTP ${response.status}`;
  try {
    const error = (JSON.parse(text) as FormattedExecutionResult).errors?.[0];
    if (error) problem = `${error.message} (${String(error.extensions?.code)})`;
  } catch {
    // not the router's JSON error: the status says enough
  }
  return { schema: null, problem };
}

function Explorer() {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
  const [draft, setDraft] = useState(token);
  const [schema, setSchema] = useState<SchemaState>({ schema: null });
  const webSocket = useMemo(() => webSocketFor(token), [token]);
  const fetcher = useMemo(() => fetcherFor(token, webSocket), [token, webSocket]);
  useEffect(() => () => void webSocket.dispose(), [webSocket]);

  useEffect(() => {
    let current = true;
    setSchema({ schema: null });
    loadSchema(token).then(
      (loaded) => current && setSchema(loaded),
      (error: unknown) => current && setSchema({ schema: null, problem: String(error) }),
    );
    return () => {
      current = false;
    };
  }, [token]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = draft.trim().replace(/^Bearer\s+/i, '');
    if (next) sessionStorage.setItem(TOKEN_KEY, next);
    else sessionStorage.removeItem(TOKEN_KEY);
    setDraft(next);
    setToken(next);
  };

  return (
    <div className="explorer">
      <form className="explorer-token" onSubmit={apply}>
        <label htmlFor="explorer-token">Bearer token</label>
        <input
          id="explorer-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="paste an access token (kept in this tab only)"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <button type="submit">Use token</button>
        {/* biome-ignore lint/a11y/useSemanticElements: a status line, not a form's <output> */}
        <span className="explorer-status" role="status">
          {token ? 'Token in use' : 'Anonymous'}
          {schema.problem ? `; schema not loaded: ${schema.problem}. Operations still run.` : schema.schema ? '; schema loaded' : ''}
        </span>
      </form>
      <div className="explorer-graphiql">
        <GraphiQL
          fetcher={fetcher}
          schema={schema.schema}
          defaultQuery={DEFAULT_QUERY}
          storage={sessionStorage}
          shouldPersistHeaders={false}
        />
      </div>
    </div>
  );
}

const container = document.getElementById('explorer');
if (!container) throw new Error('the page has no #explorer element');
createRoot(container).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
