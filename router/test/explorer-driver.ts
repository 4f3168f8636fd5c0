import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { waitFor } from '@commerce/kit';
import { chromium, type Locator, type Page } from 'playwright-core';

/**
 * Drives the schema explorer (/explorer, GraphiQL 5) in Debian's Chromium through playwright-core. Shared by
 * router/test/explorer.test.ts and packages/platform/test/explorer-token.test.ts (the token form against the
 * real identity), which imports it as @commerce/router/dist/test/explorer-driver.js.
 */
export const CHROMIUM = '/usr/bin/chromium';
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

/** GraphiQL's Monaco models, by the end of their URI. */
export type EditorName = 'operation.graphql' | 'variables.json' | 'request-headers.json' | 'response.json';

export interface ExplorerPage {
  page: Page;
  /** Console errors, page errors and CSP violations, in order. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Every WebSocket the page opened, with the text frames it sent. */
  webSockets: { url: string; sent: string[] }[];
  /** The status line (who is calling, whether the schema loaded). */
  status: Locator;
  editor(name: EditorName): Promise<string>;
  setEditor(name: EditorName, value: string): Promise<void>;
  /** Runs `query` with the execute button; resolves with the response editor's JSON once it contains `expected`. */
  run(query: string, expected: string): Promise<unknown>;
  /** Fills the "Get a token" form and submits it. */
  getToken(clientId: string, clientSecret: string): Promise<void>;
  /** What the page keeps in sessionStorage and localStorage, as one string. */
  stored(): Promise<string>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function openExplorer(url: string): Promise<ExplorerPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const problems: string[] = [];
    const requests: string[] = [];
    const webSockets: ExplorerPage['webSockets'] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (socket) => {
      const opened = { url: socket.url(), sent: [] as string[] };
      webSockets.push(opened);
      socket.on('framesent', (frame) => typeof frame.payload === 'string' && opened.sent.push(frame.payload));
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.addInitScript(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a script for the page, its template evaluated there
      'document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`))',
    );
    await page.goto(url);
    // Monaco loads after the first render; GraphiQL registers its models (and sets __MONACO) once it has.
    const model = (name: EditorName) =>
      `globalThis.__MONACO?.editor.getModels().find((model) => model.uri.path.endsWith(${JSON.stringify(`-${name}`)}))`;
    await waitFor('GraphiQL and Monaco loaded', async () => (await page.evaluate(`Boolean(${model('response.json')})`)) === true, 20_000);

    const editor = async (name: EditorName) => (await page.evaluate(`${model(name)}.getValue()`)) as string;
    const setEditor = async (name: EditorName, value: string) => {
      await page.evaluate(`${model(name)}.setValue(${JSON.stringify(value)})`);
    };
    return {
      page,
      problems,
      requests,
      webSockets,
      status: page.locator('.explorer-status'),
      editor,
      setEditor,
      async run(query, expected) {
        await setEditor('operation.graphql', query);
        // GraphiQL takes the tab's query and operation name from the editor 100 ms after a change (debounced);
        // running sooner sends the previous ones.
        const tab = `(() => { const state = JSON.parse(sessionStorage.getItem('graphiql:tabState') ?? '{}'); return state.tabs?.[state.activeTabIndex]; })()`;
        const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(query)?.[1] ?? null;
        await waitFor('GraphiQL to pick up the operation', async () => {
          const current = (await page.evaluate(tab)) as { query?: string; operationName?: string | null } | undefined;
          return current?.query === query && (current.operationName ?? null) === name;
        });
        await setEditor('response.json', '');
        await page.click('.graphiql-execute-button');
        await waitFor(
          `a response containing ${expected}`,
          async () => (await editor('response.json')).includes(expected),
          10_000,
          () => `(problems: ${problems.join('; ')})`,
        );
        return JSON.parse(await editor('response.json')) as unknown;
      },
      async getToken(clientId, clientSecret) {
        await page.fill('input[name="client_id"]', clientId);
        await page.fill('input[name="client_secret"]', clientSecret);
        await page.click('form.explorer-token button[type="submit"]');
      },
      stored: async () => (await page.evaluate('JSON.stringify([{ ...sessionStorage }, { ...localStorage }])')) as string,
      async screenshot(path) {
        await mkdir(dirname(path), { recursive: true });
        await page.screenshot({ path });
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
