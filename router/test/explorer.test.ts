import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, printSchema } from 'graphql';
import { explorerCsp } from '../src/explorer/routes.js';
import { openExplorer } from './explorer-driver.js';
import { startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ROUTER_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'explorer.png');
const sdl = (extra = '') => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@inaccessible"])
type Query {
  categories: [Category!]!
  internalStats: String @inaccessible
  ${extra}
}
type Category {
  name: String!
  internalCode: String @inaccessible
}
type Subscription {
  categoryAdded: Category!
}`;

const resolvers = {
  Query: {
    categories: () => [
      { name: 'Garden', internalCode: 'G-1' },
      { name: 'Books', internalCode: 'B-2' },
    ],
    internalStats: () => 'secret',
    featured: () => ({ name: 'Garden' }),
  },
  Subscription: {
    categoryAdded: {
      subscribe: async function* () {
        yield { categoryAdded: { name: 'Tools' } };
      },
    },
  },
};

describe('partners: /schema.graphql and the schema explorer', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let open: TestRouter;
  let gated: TestRouter;
  let reader: string; // a partner token with schema:read
  let catalogOnly: string; // a partner token without it

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('catalog', sdl('featured: Category'), resolvers);
    // The stub serves `featured` from the start; the supergraph only exposes it after the reload test.
    const first = composeServices([{ name: 'catalog', url: subgraph.url, typeDefs: parse(sdl()) }]);
    assert.ok(first.supergraphSdl, first.errors?.map((error) => error.message).join('\n'));
    open = await startTestRouter([{ ...subgraph, sdl: sdl() }], issuer, {
      limits: { introspection: 'scope' },
      schemaSdlPublic: true,
      watchSupergraph: true,
    });
    gated = await startTestRouter([{ ...subgraph, sdl: sdl() }], issuer, { limits: { introspection: 'scope' }, schemaSdlPublic: false });
    reader = await issuer.sign({ sub: 'partner-1', role: 'partner', scope: 'catalog:read schema:read' });
    catalogOnly = await issuer.sign({ sub: 'partner-2', role: 'partner', scope: 'catalog:read' });
  });

  after(async () => {
    await Promise.all([open?.stop(), gated?.stop()]);
    await subgraph?.stop();
    await issuer?.stop();
  });

  test('/schema.graphql is the API schema: no federation machinery, no @inaccessible elements', async () => {
    const response = await fetch(`${open.router.baseUrl}/schema.graphql`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const text = await response.text();
    assert.match(text, /type Category \{\n {2}name: String!\n\}/);
    for (const internal of [
      'join__',
      'link__',
      '@link',
      '@inaccessible',
      '@join',
      'internalStats',
      'internalCode',
      '_entities',
      '_service',
      'federation__',
    ]) {
      assert.ok(!text.includes(internal), `${internal} in the SDL`);
    }
    // The same derivation as codegen's loader (scripts/codegen/api-schema.cjs).
    const supergraphSdl = await readFile(open.supergraphPath, 'utf8');
    const codegen = printSchema(Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema());
    assert.equal(text, `${codegen}\n`);
  });

  test('/schema.graphql follows supergraph reloads', async () => {
    const version = open.router.supergraphVersion();
    const next = composeServices([{ name: 'catalog', url: subgraph.url, typeDefs: parse(sdl('featured: Category')) }]);
    assert.ok(next.supergraphSdl);
    await writeFile(open.supergraphPath, next.supergraphSdl);
    const deadline = Date.now() + 5000;
    while (open.router.supergraphVersion() === version) {
      assert.ok(Date.now() < deadline, 'the router did not reload the supergraph');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const text = await (await fetch(`${open.router.baseUrl}/schema.graphql`)).text();
    assert.match(text, /featured: Category/);
  });

  test('SCHEMA_SDL_PUBLIC=false: the SDL needs what introspection needs (schema:read)', async () => {
    const get = (token?: string) =>
      fetch(`${gated.router.baseUrl}/schema.graphql`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const anonymous = await get();
    assert.equal(anonymous.status, 401);
    assert.equal(
      ((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
      'INTROSPECTION_DISABLED',
    );
    assert.equal((await get(catalogOnly)).status, 403);
    assert.equal((await get('forged.token.value')).status, 401);
    const allowed = await get(reader);
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /type Category/);
    assert.equal(allowed.headers.get('cache-control'), 'private, no-cache');
  });

  test('/explorer and its assets are served by the router, with their content types and security headers', async () => {
    const page = await fetch(`${open.router.baseUrl}/explorer`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const html = await page.text();
    const nonce = /<meta name="csp-nonce" content="([^"]+)"/.exec(html)?.[1];
    assert.ok(nonce && nonce.length >= 22, 'a fresh nonce for the inline <style> GraphiQL dialogs insert');
    assert.equal(page.headers.get('content-security-policy'), explorerCsp(nonce));
    // Nothing unsafe for scripts or <style> elements; only style attributes, which Monaco positions its lines with.
    const directives = (page.headers.get('content-security-policy') ?? '').split('; ');
    assert.deepEqual(
      directives.filter((directive) => directive.includes('unsafe')),
      ["style-src-attr 'unsafe-inline'"],
    );
    assert.ok(directives.includes("script-src 'self'") && directives.includes("worker-src 'self'"));
    const again = await (await fetch(`${open.router.baseUrl}/explorer`)).text();
    assert.ok(!again.includes(nonce), 'one nonce per page load');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((url) => url !== 'data:,'); // no favicon request
    assert.deepEqual(assets.sort(), ['/explorer/assets/explorer.css', '/explorer/assets/explorer.js']);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');

    const types: Record<string, RegExp> = {
      '.js': /^(text|application)\/javascript; charset=utf-8$/,
      '.css': /^text\/css; charset=utf-8$/,
    };
    // Monaco's web workers, started by the page from its own origin.
    const workers = ['editor', 'graphql', 'json'].map((name) => `/explorer/assets/${name}.worker.js`);
    for (const asset of [...assets, ...workers]) {
      const response = await fetch(`${open.router.baseUrl}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.match(response.headers.get('content-type') ?? '', types[asset.slice(asset.lastIndexOf('.'))]!, asset);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const body = await response.text();
      assert.ok(body.length > 10_000, `${asset} is the bundle`);
      assert.doesNotMatch(body, /url\((["']?)(https?:)?\/\//, `${asset} loads nothing from another origin`);
    }
    assert.equal((await fetch(`${open.router.baseUrl}/explorer/assets/missing.js`)).status, 404);
  });

  test("the explorer's packages are build-time only: devDependencies, imported by no production code", async () => {
    const manifest = JSON.parse(await readFile(join(ROUTER_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const buildTime = ['graphiql', '@graphiql/react', '@graphiql/toolkit', 'monaco-editor', 'monaco-graphql', 'react', 'react-dom'];
    for (const name of buildTime) {
      assert.ok(manifest.devDependencies?.[name], `${name} is a devDependency`);
      assert.equal(manifest.dependencies?.[name], undefined, `${name} is not a production dependency`);
    }
    const compiled = (await readdir(join(ROUTER_ROOT, 'dist', 'src'), { recursive: true })).filter((file) => file.endsWith('.js'));
    assert.ok(compiled.includes('index.js') && compiled.includes(join('explorer', 'routes.js')));
    for (const file of compiled) {
      const text = await readFile(join(ROUTER_ROOT, 'dist', 'src', file), 'utf8');
      const imported = [...text.matchAll(/(?:from\s*|import\s*\(?\s*)['"]([^'"]+)['"]/g)].map((match) => match[1] ?? '');
      const forbidden = imported.filter((specifier) => /^(graphiql|@graphiql\/|monaco-|react(-dom)?(\/|$))/.test(specifier));
      assert.deepEqual(forbidden, [], `${file} imports build-time packages`);
    }
  });

  test('in Chromium: without schema:read the page shows the router error; with an Authorization header, docs, a query and a subscription (over graphql-ws) run', async () => {
    const explorer = await openExplorer(`${gated.router.baseUrl}/explorer`);
    try {
      const { page, status } = explorer;
      // SCHEMA_SDL_PUBLIC=false and introspection by scope: without schema:read, the router's refusal is shown.
      const refusal = 'schema not loaded: Reading the schema needs a token with the schema:read scope (INTROSPECTION_DISABLED)';
      await status.getByText(`Anonymous; ${refusal}`).waitFor();
      await explorer.setEditor('request-headers.json', JSON.stringify({ Authorization: `Bearer ${catalogOnly}` }));
      await status.getByText(`Authorization header set; ${refusal}`).waitFor();
      const refused = await explorer.run('{ __schema { queryType { name } } }', 'INTROSPECTION_DISABLED');
      assert.deepEqual(refused, {
        errors: [{ message: 'introspection has been disabled', extensions: { code: 'INTROSPECTION_DISABLED' } }],
      });

      await explorer.setEditor('request-headers.json', JSON.stringify({ authorization: `Bearer ${reader}` }, null, 2));
      await status.getByText('Authorization header set; schema loaded').waitFor();
      await page.click('.graphiql-sidebar button[aria-label="Open settings dialog"]'); // a Radix dialog: its inline <style> needs the nonce
      await page.getByText('Clear storage').waitFor();
      await page.keyboard.press('Escape');
      await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
      await page.locator('.graphiql-doc-explorer-type-name', { hasText: 'Query' }).click();
      await page.locator('.graphiql-doc-explorer').getByText('categories').first().waitFor();
      const result = await explorer.run('query PartnerCategories {\n  categories {\n    name\n  }\n}', '"Books"');
      assert.deepEqual(result, { data: { categories: [{ name: 'Garden' }, { name: 'Books' }] } });

      // Subscriptions go over the router's WebSocket (graphql-ws, the token in connection_init), not as an HTTP POST.
      const posts = explorer.requests.length;
      const event = await explorer.run('subscription Added {\n  categoryAdded {\n    name\n  }\n}', '"Tools"');
      assert.deepEqual(event, { data: { categoryAdded: { name: 'Tools' } } });
      assert.deepEqual(
        explorer.webSockets.map((socket) => socket.url),
        [gated.router.url.replace(/^http/, 'ws')],
      );
      const init = JSON.parse(explorer.webSockets[0]?.sent[0] ?? '{}') as { type: string; payload: Record<string, string> };
      assert.deepEqual(init, {
        type: 'connection_init',
        payload: { authorization: `Bearer ${reader}`, 'apollographql-client-name': 'explorer' },
      });
      assert.equal(
        explorer.requests.slice(posts).filter((url) => url.endsWith('/graphql')).length,
        0,
        'no HTTP request for the subscription',
      );
      // A subscription the router refuses shows the router's errors.
      const invalid = await explorer.run('subscription Removed {\n  categoryRemoved {\n    name\n  }\n}', 'GRAPHQL_VALIDATION_FAILED');
      assert.deepEqual(invalid, {
        errors: [
          {
            message: 'Cannot query field "categoryRemoved" on type "Subscription". Did you mean "categoryAdded"?',
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      });

      // A token the router refuses closes the WebSocket (4403); the page says so.
      await explorer.setEditor('request-headers.json', JSON.stringify({ Authorization: 'Bearer forged.token.value' }));
      await status.getByText(/^Authorization header set; schema not loaded/).waitFor();
      const closed = await explorer.run('subscription Added {\n  categoryAdded {\n    name\n  }\n}', '4403');
      assert.deepEqual(closed, { errors: [{ message: 'The WebSocket closed: 4403 Forbidden' }] });
      await explorer.setEditor('request-headers.json', JSON.stringify({ Authorization: `Bearer ${reader}` }));

      // Monaco's workers came from the router, and nothing keeps the token.
      for (const worker of ['editor', 'graphql', 'json']) {
        assert.ok(explorer.requests.includes(`${gated.router.baseUrl}/explorer/assets/${worker}.worker.js`), `${worker} worker`);
      }
      const stored = await explorer.stored();
      assert.ok(stored.includes('PartnerCategories'), 'the history is kept in sessionStorage');
      assert.ok(!stored.includes(reader) && !stored.includes(catalogOnly), 'no token in storage');
      assert.equal(await page.evaluate('localStorage.length'), 0, 'nothing kept in localStorage');

      await explorer.screenshot(SCREENSHOT);
      const elsewhere = explorer.requests.filter((url) => !/^(http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:)/.test(url));
      assert.deepEqual(elsewhere, [], 'requests to other origins');
      // The refusals answer 400/401/403, which Chromium logs; anything else (CSP violations, errors) is a problem.
      assert.deepEqual(
        explorer.problems.filter((problem) => !/^Failed to load resource: the server responded with a status of 40[013]/.test(problem)),
        [],
      );
    } finally {
      await explorer.close();
    }
  });
});
