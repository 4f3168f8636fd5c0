import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { getOperationAST, parse, type ValidationContext } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { routerOptions, startIssuer, type Issuer, startStubSubgraph, type StubSubgraph, testLogger } from './support.js';
import { startRouter, type RouterLimits, type RouterOptions, type RunningRouter } from '../src/index.js';
import { countTokens, measureOperation, OPERATION_LIMIT_DEFAULTS } from '../src/policies/operation-limits.js';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Query {
  hello: String!
  goodbye: String!
  node: Node!
}
type Node {
  id: ID!
  name: String!
  child: Node!
}`;

/** Small limits so that "just under" and "just over" are short queries. */
const LIMITS: RouterLimits = {
  maxDepth: 3,
  maxHeight: 6,
  maxAliases: 2,
  maxRootFields: 2,
  maxTokens: 200,
  maxBatch: 2,
  introspection: 'scope',
};

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };

type Subgraph = StubSubgraph;

function startSubgraph(): Promise<Subgraph> {
  let serial = 0;
  const node = () => ({ id: String(++serial), name: 'n' });
  return startStubSubgraph('things', SDL, { Query: { hello: () => 'world', goodbye: () => 'moon', node }, Node: { child: node } });
}

async function send(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (await response.json()) as Body };
}

const post = (url: string, query: string, headers: Record<string, string> = {}) => send(url, { query }, headers);
const codes = (body: Body) => (body.errors ?? []).map((error) => error.extensions?.code);

function measure(query: string) {
  const document = parse(query);
  return measureOperation(document, getOperationAST(document)!);
}

describe('measuring operations (Apollo Router semantics)', () => {
  test("Apollo's documented examples", () => {
    // docs: GetBook has depth three; fields of fragments count, inline fragments add no depth
    const book = measure(`query GetBook { book { ...bookDetails } }
      fragment bookDetails on Book { details { ... on ProductDetailsBook { country } } }`);
    assert.equal(book.depth, 3);
    // A response key counts once per selection set: height 3, not 4
    assert.equal(measure('{ name { first } name { last } }').height, 3);
    assert.equal(measure('query GetUser { user { nickname: name username: name handle: name } }').aliases, 3);
    assert.equal(measure('query GetTopProducts { topBooks { id } topMovies { id } topGames { id } }').rootFields, 3);
  });

  test('root fields: fragments included, each alias counted, a repeated field once', () => {
    assert.equal(measure('{ a a b: a ...F ... on Query { d } } fragment F on Query { c a }').rootFields, 4);
  });

  test('depth agrees with graphql-depth-limit (plus one: Apollo counts a root field as depth 1)', () => {
    const queries = [
      '{ a }',
      '{ a { b { c } } d }',
      'query Q { a { ...F } } fragment F on A { b { ... on B { c { d } } } }',
      '{ a { b } c { d { e { f } } } }',
    ];
    for (const query of queries) {
      const document = parse(query);
      let depths: Record<string, number> = {};
      const context = { getDocument: () => document, reportError: () => undefined } as unknown as ValidationContext;
      depthLimit(1000, {}, (measured) => (depths = measured))(context);
      assert.equal(measure(query).depth, Object.values(depths)[0]! + 1, query);
    }
  });

  test('fragments are measured once: exponential fan-out stays cheap and is caught by height', () => {
    const levels = 40; // 2^40 fields when expanded
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === 0 ? 'fragment F0 on Query { hello }' : `fragment F${i} on Query { ...F${i - 1} ... on Query { ...F${i - 1} } }`,
    );
    const started = performance.now();
    const measured = measure(`{ ...F${levels - 1} } ${fragments.join(' ')}`);
    assert.ok(performance.now() - started < 200);
    assert.equal(measured.height, 2 ** (levels - 1));
  });

  test('tokens are counted as apollo-parser counts them (ignored tokens and the end included)', () => {
    assert.equal(countTokens('type Query { a a a a a a a a a }'), 26); // apollo-parser's own test: limit 26 passes, 25 fails
    assert.equal(countTokens('{a,b}'), 6);
    assert.equal(countTokens('# hi\n{ a }'), 8);
    assert.equal(countTokens('{ a(s: "x y, # z") }'), 12);
    assert.equal(countTokens('{ a'.repeat(10_000), 50), 51); // stops counting past the limit
  });
});

describe('operation limits and introspection on a running router', () => {
  let subgraph: Subgraph;
  let issuer: Issuer;
  let dir: string;
  let router: RunningRouter;
  const extra: RunningRouter[] = [];

  const options = (limits: Partial<RouterLimits> | undefined): RouterOptions =>
    routerOptions({
      supergraphPath: join(dir, 'supergraph.graphql'),
      jwksUrl: issuer.jwksUrl,
      subgraphUrls: { things: subgraph.url },
      logger: testLogger('limits-test'),
      ...(limits ? { limits } : {}),
    });
  const another = async (limits: Partial<RouterLimits> | undefined) => {
    const started = await startRouter(options(limits));
    extra.push(started);
    return started;
  };

  before(async () => {
    subgraph = await startSubgraph();
    issuer = await startIssuer('limits-key-1');
    dir = await mkdtemp(join(tmpdir(), 'router-limits-test-'));
    const composed = composeServices([{ name: 'things', url: 'http://unreachable.invalid/graphql', typeDefs: parse(SDL) }]);
    if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
    await writeFile(join(dir, 'supergraph.graphql'), composed.supergraphSdl);
    router = await startRouter(options(LIMITS));
  });

  after(async () => {
    for (const started of extra) await started.close();
    await router?.close();
    await issuer?.stop();
    await subgraph?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    subgraph.requests = 0;
  });

  test('an operationName that names no operation of the document gets a 400 and no subgraph call, not a 500', async () => {
    const result = await send(router.url, { query: 'query A { hello }', operationName: 'B' });
    assert.equal(result.status, 400, JSON.stringify(result.body));
    assert.deepEqual(codes(result.body), ['OPERATION_RESOLUTION_FAILURE']);
    assert.equal(subgraph.requests, 0);
  });

  const cases: [string, string, string, string][] = [
    // name, just under (passes), just over (refused), expected code
    ['depth', '{ node { child { name } } }', '{ node { child { child { name } } } }', 'MAX_DEPTH_LIMIT'],
    [
      'depth through fragments',
      '{ node { ...F } } fragment F on Node { child { id } }',
      '{ node { ...F } } fragment F on Node { child { child { id } } }',
      'MAX_DEPTH_LIMIT',
    ],
    ['height', '{ node { id name child { id name } } }', '{ node { id name child { id name } } hello }', 'MAX_HEIGHT_LIMIT'],
    ['aliases', '{ node { a: id b: name } }', '{ node { a: id b: name c: id } }', 'MAX_ALIASES_LIMIT'],
    ['root fields', '{ hello node { id } }', '{ hello node { id } bye: goodbye }', 'MAX_ROOT_FIELDS_LIMIT'],
    [
      'root fields through fragments',
      '{ hello ...R } fragment R on Query { goodbye }',
      '{ hello ...R } fragment R on Query { goodbye node { id } }',
      'MAX_ROOT_FIELDS_LIMIT',
    ],
  ];
  for (const [name, under, over, code] of cases) {
    test(`${name}: just under passes, just over gets 400 ${code} and no subgraph call`, async () => {
      const passed = await post(router.url, under);
      assert.equal(passed.status, 200, JSON.stringify(passed.body));
      assert.equal(passed.body.errors, undefined);
      assert.equal(subgraph.requests, 1);

      const refused = await post(router.url, over);
      assert.equal(refused.status, 400);
      assert.deepEqual(codes(refused.body), [code]);
      assert.equal(refused.body.data, undefined);
      assert.equal(subgraph.requests, 1);
    });
  }

  test('every exceeded limit is reported, in one 400 response', async () => {
    const refused = await post(router.url, '{ a: node { b: child { c: child { id name } } } goodbye hello }');
    assert.equal(refused.status, 400);
    assert.deepEqual(codes(refused.body), ['MAX_DEPTH_LIMIT', 'MAX_HEIGHT_LIMIT', 'MAX_ROOT_FIELDS_LIMIT', 'MAX_ALIASES_LIMIT']);
    assert.equal(refused.body.errors?.[1]?.message, 'Maximum height (field count) limit exceeded in this operation');
    assert.equal(subgraph.requests, 0);
  });

  test('tokens: 200 tokens pass, 201 get 400 PARSING_ERROR before parsing', async () => {
    const query = (commas: number) => `{ hello${','.repeat(commas)} }`; // 6 tokens + one per comma
    assert.equal(countTokens(query(194)), 200);
    const passed = await post(router.url, query(194));
    assert.equal(passed.status, 200);
    assert.equal(subgraph.requests, 1);

    const refused = await post(router.url, query(195));
    assert.equal(refused.status, 400);
    assert.deepEqual(codes(refused.body), ['PARSING_ERROR']);
    assert.match(refused.body.errors?.[0]?.message ?? '', /token limit reached/);
    assert.equal(subgraph.requests, 1);

    const get = await fetch(`${router.url}?query=${encodeURIComponent(query(195))}`, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(get.status, 400);
    const inBatch = await send(router.url, [{ query: '{ hello }' }, { query: query(195) }]);
    assert.equal(inBatch.status, 400);
    assert.deepEqual(codes(inBatch.body), ['PARSING_ERROR']);
    assert.equal(subgraph.requests, 1);
  });

  test('batches: 2 operations run, 3 get 422 BATCH_LIMIT_EXCEEDED and nothing runs', async () => {
    const passed = await send(router.url, [{ query: '{ hello }' }, { query: '{ goodbye }' }]);
    assert.equal(passed.status, 200);
    assert.deepEqual(passed.body, [{ data: { hello: 'world' } }, { data: { goodbye: 'moon' } }]);
    assert.equal(subgraph.requests, 2);

    const refused = await send(router.url, [{ query: '{ hello }' }, { query: '{ hello }' }, { query: '{ hello }' }]);
    assert.equal(refused.status, 422);
    assert.deepEqual(codes(refused.body), ['BATCH_LIMIT_EXCEEDED']);
    assert.equal(subgraph.requests, 2);
  });

  test('a body over 1 MB is a JSON 413', async () => {
    const refused = await send(router.url, { query: `{ hello } #${'x'.repeat(1_100_000)}` });
    assert.equal(refused.status, 413);
    assert.match(refused.contentType, /application\/json/);
    assert.deepEqual(codes(refused.body), ['BAD_REQUEST']);
    assert.equal(subgraph.requests, 0);
  });

  const schemaQuery = '{ __schema { queryType { name } } }';
  const typeQuery = '{ __type(name: "Node") { name } }';

  test('introspection without the schema:read scope: 400 INTROSPECTION_DISABLED', async () => {
    const customer = await issuer.sign({ sub: 'user-1', role: 'customer', scope: 'catalog:read' });
    for (const headers of [{}, { authorization: `Bearer ${customer}` }] as Record<string, string>[]) {
      for (const query of [schemaQuery, typeQuery, `{ hello ${schemaQuery.slice(1)}`]) {
        const refused = await post(router.url, query, headers);
        assert.equal(refused.status, 400, query);
        assert.deepEqual(codes(refused.body), ['INTROSPECTION_DISABLED']);
        assert.equal(refused.body.errors?.[0]?.message, 'introspection has been disabled');
      }
    }
    assert.equal(subgraph.requests, 0);
  });

  test('introspection with the schema:read scope is allowed; __typename always is', async () => {
    const admin = await issuer.sign({ sub: 'admin-1', role: 'admin', scope: 'admin schema:read' });
    const allowed = await post(router.url, schemaQuery, { authorization: `Bearer ${admin}` });
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.body, { data: { __schema: { queryType: { name: 'Query' } } } });
    assert.deepEqual((await post(router.url, typeQuery, { authorization: `Bearer ${admin}` })).body, {
      data: { __type: { name: 'Node' } },
    });

    const typename = await post(router.url, '{ __typename }');
    assert.equal(typename.status, 200);
    assert.deepEqual(typename.body, { data: { __typename: 'Query' } });
  });

  test('no field suggestions leak when introspection is denied; they stay for schema:read', async () => {
    const typo = '{ helo node { nme } }';
    const denied = await post(router.url, typo);
    assert.equal(denied.status, 400);
    assert.deepEqual(codes(denied.body), ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
    for (const error of denied.body.errors ?? []) assert.doesNotMatch(error.message, /did you mean|hello|name"/i);
    assert.equal(denied.body.errors?.[0]?.message, 'Cannot query field "helo" on type "Query".');

    const admin = await issuer.sign({ sub: 'admin-1', role: 'admin', scope: 'schema:read' });
    const allowed = await post(router.url, typo, { authorization: `Bearer ${admin}` });
    assert.match(allowed.body.errors?.[0]?.message ?? '', /Did you mean "hello"\?$/);
    assert.equal(subgraph.requests, 0);
  });

  test("introspection 'off' refuses even schema:read; the default ('on', as embedded) allows anyone", async () => {
    const admin = await issuer.sign({ sub: 'admin-1', role: 'admin', scope: 'schema:read' });
    const off = await another({ introspection: 'off' });
    const refused = await post(off.url, schemaQuery, { authorization: `Bearer ${admin}` });
    assert.deepEqual(codes(refused.body), ['INTROSPECTION_DISABLED']);

    const defaults = await another(undefined);
    assert.equal((await post(defaults.url, schemaQuery)).status, 200);
    assert.match((await post(defaults.url, '{ helo }')).body.errors?.[0]?.message ?? '', /Did you mean "hello"\?$/);
  });

  test('defaults: depth 15 passes and 16 is refused; 20 root fields pass and 21 are refused', async () => {
    assert.equal(OPERATION_LIMIT_DEFAULTS.maxDepth, 15);
    const defaults = extra.at(-1) ?? (await another(undefined));
    const nested = (depth: number) => `{ node ${'{ child '.repeat(depth - 2)}{ id }${' }'.repeat(depth - 2)} }`;
    assert.equal(measure(nested(15)).depth, 15);
    assert.equal((await post(defaults.url, nested(15))).status, 200);
    assert.deepEqual(codes((await post(defaults.url, nested(16))).body), ['MAX_DEPTH_LIMIT']);
    const roots = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `h${i}: hello`).join(' ')} }`;
    // 20 aliases are within the default 30 aliases
    assert.equal((await post(defaults.url, roots(20))).status, 200);
    assert.deepEqual(codes((await post(defaults.url, roots(21))).body), ['MAX_ROOT_FIELDS_LIMIT']);
  });
});
