import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, printSchema } from 'graphql';
import { chromium } from 'playwright-core';
import { explorerCsp } from '../src/explorer/routes.js';
import { startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';
import { waitFor } from '@commerce/kit';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'explorer.png');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
    await waitFor('the router to reload the supergraph', () => open.router.supergraphVersion() !== version, 5000, undefined, 25);
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
    assert.doesNotMatch(page.headers.get('content-security-policy') ?? '', /unsafe/);
    const again = await (await fetch(`${open.router.baseUrl}/explorer`)).text();
    assert.ok(!again.includes(nonce), 'one nonce per page load');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((url) => url !== 'data:,'); // no favicon request
    assert.deepEqual(assets.sort(), ['/explorer/assets/explorer.css', '/explorer/assets/explorer.js']);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');

    const types: Record<string, RegExp> = {
      '.js': /^(text|application)\/javascript; charset=utf-8$/,
      '.css': /^text\/css; charset=utf-8$/,
    };
    for (const asset of assets) {
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

  test('in Chromium: without schema:read the page shows the router error; with it, docs, a query and a subscription (over the WebSocket) run', async () => {
    assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
      const requested: string[] = [];
      const webSockets: string[] = [];
      const problems: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      page.on('websocket', (socket) => webSockets.push(socket.url()));
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      await page.addInitScript(
        'document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective}`))',
      );
      const status = page.locator('.explorer-status');
      const editor = (pane: string) => `document.querySelector('.graphiql-${pane} .CodeMirror').CodeMirror`;
      const run = async (query: string, expected: string) => {
        await page.evaluate(`${editor('query-editor')}.setValue(${JSON.stringify(query)})`);
        // GraphiQL takes the operation name from the editor 100 ms after a change; running sooner sends the
        // previous name (and the router answers 500 to an operation name the document lacks).
        const name = /^(?:query|subscription) (\w+)/.exec(query)?.[1];
        for (let tries = 0; name && (await page.evaluate('sessionStorage.getItem("graphiql:operationName")')) !== name; tries += 1) {
          assert.ok(tries < 100, 'GraphiQL did not pick up the operation name');
          await page.waitForTimeout(50);
        }
        await page.click('.graphiql-execute-button');
        // A locator, not waitForFunction: its polling evaluates strings in the page, which the CSP forbids.
        await page.locator('.graphiql-response .CodeMirror-code').getByText(expected).first().waitFor();
        return JSON.parse((await page.evaluate(`${editor('response')}.getValue()`)) as string) as unknown;
      };
      const useToken = async (token: string) => {
        await page.fill('#explorer-token', token);
        await page.click('text=Use token');
      };

      // SCHEMA_SDL_PUBLIC=false and introspection by scope: without schema:read, the router's refusal is shown.
      await page.goto(`${gated.router.baseUrl}/explorer`);
      const refusal = 'schema not loaded: Reading the schema needs a token with the schema:read scope (INTROSPECTION_DISABLED)';
      await status.getByText(`Anonymous; ${refusal}`).waitFor();
      await useToken(`Bearer ${catalogOnly}`);
      await status.getByText(`Token in use; ${refusal}`).waitFor();
      const refused = await run('{ __schema { queryType { name } } }', 'INTROSPECTION_DISABLED');
      assert.deepEqual(refused, {
        errors: [{ message: 'introspection has been disabled', extensions: { code: 'INTROSPECTION_DISABLED' } }],
      });

      await useToken(reader);
      await status.getByText('Token in use; schema loaded').waitFor();
      await page.click('.graphiql-sidebar button[aria-label="Open settings dialog"]'); // a Radix dialog: its inline <style> needs the nonce
      await page.getByText('Clear storage').waitFor();
      await page.keyboard.press('Escape');
      await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
      await page.locator('.graphiql-doc-explorer-type-name', { hasText: 'Query' }).click();
      await page.locator('.graphiql-doc-explorer').getByText('categories').first().waitFor();
      const result = await run('query PartnerCategories {\n  categories {\n    name\n  }\n}', '"Books"');
      assert.deepEqual(result, { data: { categories: [{ name: 'Garden' }, { name: 'Books' }] } });
      // Subscriptions go over the router's WebSocket (graphql-ws), not as an HTTP POST.
      const posts = requested.length;
      const event = await run('subscription Added {\n  categoryAdded {\n    name\n  }\n}', '"Tools"');
      assert.deepEqual(event, { data: { categoryAdded: { name: 'Tools' } } });
      assert.deepEqual(webSockets, [`${gated.router.url.replace(/^http/, 'ws')}`]);
      assert.equal(requested.slice(posts).filter((url) => url.endsWith('/graphql')).length, 0, 'no HTTP request for the subscription');
      assert.equal(await page.evaluate('sessionStorage.getItem("explorer:token")'), reader);
      assert.equal(await page.evaluate('Object.keys(localStorage).length'), 0, 'nothing kept in localStorage');

      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      const elsewhere = requested.filter((url) => !/^(http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:)/.test(url));
      assert.deepEqual(elsewhere, [], 'requests to other origins');
      // The refusals answer 400/401/403, which Chromium logs; anything else (CSP violations, errors) is a problem.
      assert.deepEqual(
        problems.filter((problem) => !/^Failed to load resource: the server responded with a status of 40[013]/.test(problem)),
        [],
      );
    } finally {
      await browser.close();
    }
  });
});
