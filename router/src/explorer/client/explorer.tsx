import { useGraphiQL } from '@graphiql/react';
import { createGraphiQLFetcher, type Storage } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { buildSchema, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { createClient, type Client, type Sink, type SubscribePayload } from 'graphql-ws';
import { StrictMode, useEffect, useMemo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import './explorer.css';

/**
 * The partners' schema explorer: GraphiQL 5 against the router's own /graphql.
 *
 * The Authorization header in GraphiQL's headers editor is the one source of the caller's identity: queries
 * and mutations send it (HTTP POST to /graphql), subscriptions send it in graphql-ws' connection_init (the
 * WebSocket on /graphql, reopened when it changes), and the docs come from /schema.graphql with it. The
 * "Get a token" form fills it in from a partner's client id and secret (OAuth2 client credentials through the
 * router's /oauth/token); a token from elsewhere can be pasted into the headers editor. Neither the secret nor
 * the token is stored: the secret leaves the form's state once used, headers are not persisted, and the
 * history (kept in this tab's sessionStorage, as are the tabs) is stored without them.
 *
 * The schema (docs, completion, validation) comes from /schema.graphql, which answers whom introspection
 * answers, rather than from GraphiQL's introspection query: that query is deeper and larger than the
 * router's default operation limits allow.
 */
interface SchemaState {
  /** null: none (GraphiQL must not introspect by itself). */
  schema: GraphQLSchema | null;
  problem?: string;
}

const CLIENT_NAME = { 'apollographql-client-name': 'explorer' };
const DEFAULT_QUERY = `# Get a token above, or set an Authorization header in Headers.
# The docs and completion need the schema:read scope.
# Ctrl-Enter runs the operation.
query Categories {
  categories {
    name
  }
}
`;

// The page's nonce, for the <style> elements the Content-Security-Policy allows: Radix UI's dialogs read it
// through get-nonce's webpack global, and the bundle script patches Monaco's stylesheet helper to read it too.
(globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ =
  document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;

// Monaco's workers, bundled next to the page (scripts/bundle-explorer.mjs) and started from the router's origin.
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'graphql' || label === 'json' ? label : 'editor';
    return new Worker(`/explorer/assets/${name}.worker.js`, { name: `${name} worker` });
  },
};

/** Answers that are not JSON (a proxy's error page, a 413) become a GraphQL error naming the status. */
const readableFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (/json/.test(response.headers.get('content-type') ?? '')) return response;
  const text = await response.text();
  return Response.json({ errors: [{ message: `The router answered HTTP ${response.status}: ${text.slice(0, 200)}` }] });
};

function webSocketFor(authorization: string): Client {
  const client = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { ...(authorization ? { authorization } : {}), ...CLIENT_NAME },
    lazy: true,
    retryAttempts: 0,
  });
  // graphql-ws hands a refusal (the router's GraphQL errors, e.g. a validation error) or a closed socket (4403: the
  // router refused the token) to `error`, which GraphiQL shows with a stack and also leaves uncaught: shown as
  // the result instead, as the router's refusals over HTTP are.
  return {
    ...client,
    subscribe<Data, Extensions>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data, Extensions>>) {
      return client.subscribe<Data, Extensions>(payload, {
        next: (value) => sink.next(value),
        complete: () => sink.complete(),
        error: (error) => {
          const errors = Array.isArray(error)
            ? (error as GraphQLFormattedError[])
            : [{ message: error instanceof CloseEvent ? `The WebSocket closed: ${error.code} ${error.reason}`.trim() : String(error) }];
          sink.next({ errors });
          sink.complete();
        },
      });
    },
  };
}

/** The Authorization header in the headers editor's JSON; undefined while the text is not valid JSON. */
function authorizationIn(headers: string): string | undefined {
  if (!headers.trim()) return '';
  try {
    const parsed: unknown = JSON.parse(headers);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const value = Object.entries(parsed).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    return typeof value === 'string' ? value.trim() : '';
  } catch {
    return undefined;
  }
}

/** The headers' JSON with the Authorization header replaced (whatever its spelling), other headers kept. */
function withAuthorization(headers: string, authorization: string): string {
  let kept: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(headers || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) kept = parsed as Record<string, unknown>;
  } catch {
    // unparsable headers: replaced by the Authorization header alone
  }
  const others = Object.fromEntries(Object.entries(kept).filter(([name]) => name.toLowerCase() !== 'authorization'));
  return JSON.stringify({ ...others, Authorization: authorization }, null, 2);
}

/**
 * sessionStorage for GraphiQL's tabs and history, minus the headers: GraphiQL's history keeps each
 * operation's headers (tokens included) whatever shouldPersistHeaders says.
 */
const storageWithoutHeaders: Storage = {
  getItem: (key) => sessionStorage.getItem(key),
  removeItem: (key) => sessionStorage.removeItem(key),
  clear: () => sessionStorage.clear(),
  get length() {
    return sessionStorage.length;
  },
  setItem(key, value) {
    if (/:(queries|favorites)$/.test(key)) {
      try {
        const stored = JSON.parse(value) as Record<string, Record<string, unknown>[] | undefined>;
        for (const items of Object.values(stored)) for (const item of items ?? []) delete item.headers;
        return sessionStorage.setItem(key, JSON.stringify(stored));
      } catch {
        return; // not the history's format: not stored rather than stored with a token
      }
    }
    sessionStorage.setItem(key, value);
  },
};

async function loadSchema(authorization: string): Promise<SchemaState> {
  const response = await fetch('/schema.graphql', { headers: authorization ? { authorization } : {} });
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

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}
interface Granted {
  authorization: string;
  clientId: string;
  scope: string;
  expiresAt: Date;
}

/** OAuth2 client credentials at the router's /oauth/token (RFC 6749 §4.4), the client authenticated in the body. */
async function requestToken(clientId: string, clientSecret: string): Promise<Granted> {
  let response: Response;
  try {
    response = await fetch('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      credentials: 'omit',
    });
  } catch {
    throw new Error('The token endpoint could not be reached');
  }
  let answer: TokenAnswer = {};
  try {
    answer = (await response.json()) as TokenAnswer;
  } catch {
    // not the endpoint's JSON: the status says enough
  }
  if (!response.ok || !answer.access_token) {
    const retry = response.headers.get('retry-after');
    const what = answer.error ? `${answer.error}: ${answer.error_description ?? 'refused'}` : `HTTP ${response.status}`;
    throw new Error(`${what}${retry ? ` (retry in ${retry} s)` : ''}`);
  }
  return {
    authorization: `Bearer ${answer.access_token}`,
    clientId,
    scope: answer.scope ?? '',
    expiresAt: new Date(Date.now() + (answer.expires_in ?? 0) * 1000),
  };
}

function TokenForm(props: { onToken(granted: Granted): void }) {
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const granted = await requestToken(clientId.trim(), clientSecret);
      setClientSecret(''); // used once: not kept
      props.onToken(granted);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="explorer-token" onSubmit={submit} aria-label="Get a token">
      <strong>Get a token</strong>
      <label>
        Client id
        <input
          name="client_id"
          autoComplete="off"
          spellCheck={false}
          required
          value={clientId}
          onChange={(event) => setClientId(event.target.value)}
        />
      </label>
      <label>
        Client secret
        <input
          name="client_secret"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={clientSecret}
          onChange={(event) => setClientSecret(event.target.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Asking…' : 'Get a token'}
      </button>
      {error && (
        <span className="explorer-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

/** Inside GraphiQL (its store): writes a granted token into the current tab's headers editor. */
function ApplyToken(props: { granted: Granted | undefined }) {
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  const { granted } = props;
  useEffect(() => {
    if (granted && headerEditor) headerEditor.setValue(withAuthorization(headerEditor.getValue(), granted.authorization));
  }, [granted, headerEditor]);
  return null;
}

function Explorer() {
  const [authorization, setAuthorization] = useState('');
  const [granted, setGranted] = useState<Granted>();
  const [schema, setSchema] = useState<SchemaState>({ schema: null });
  // One graphql-ws client per Authorization header, disposed (its socket closed) when the header changes.
  const [webSocket, setWebSocket] = useState<Client>();
  useEffect(() => {
    const client = webSocketFor(authorization);
    setWebSocket(client);
    return () => void client.dispose();
  }, [authorization]);
  const fetcher = useMemo(
    () =>
      createGraphiQLFetcher({
        url: '/graphql',
        wsClient: webSocket,
        headers: CLIENT_NAME,
        enableIncrementalDelivery: false,
        fetch: readableFetch,
      }),
    [webSocket],
  );

  useEffect(() => {
    let current = true;
    setSchema({ schema: null });
    loadSchema(authorization).then(
      (loaded) => current && setSchema(loaded),
      (error: unknown) => current && setSchema({ schema: null, problem: String(error) }),
    );
    return () => {
      current = false;
    };
  }, [authorization]);

  const onEditHeaders = (headers: string) => {
    const found = authorizationIn(headers);
    if (found !== undefined) setAuthorization(found);
  };
  const who =
    granted && granted.authorization === authorization
      ? `Token for ${granted.clientId} (${granted.scope || 'no scope'}), expires at ${granted.expiresAt.toLocaleTimeString()}`
      : authorization
        ? 'Authorization header set'
        : 'Anonymous';

  return (
    <div className="explorer">
      <div className="explorer-bar">
        <TokenForm onToken={setGranted} />
        <output className="explorer-status">
          {who}
          {schema.problem ? `; schema not loaded: ${schema.problem}. Operations still run.` : schema.schema ? '; schema loaded' : ''}
        </output>
      </div>
      <div className="explorer-graphiql">
        <GraphiQL
          fetcher={fetcher}
          schema={schema.schema}
          defaultQuery={DEFAULT_QUERY}
          storage={storageWithoutHeaders}
          shouldPersistHeaders={false}
          showPersistHeadersSettings={false}
          onEditHeaders={onEditHeaders}
        >
          <ApplyToken granted={granted} />
        </GraphiQL>
      </div>
    </div>
  );
}

const container = document.getElementById('explorer');
if (container) {
  createRoot(container).render(
    <StrictMode>
      <Explorer />
    </StrictMode>,
  );
}
