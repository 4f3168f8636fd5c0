import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT, waitFor, within } from '@commerce/kit';
import { SUBGRAPHS } from '../src/subgraphs.js';

/** `npm start` as a newcomer runs it: progress while it builds and starts, and Ctrl-C (SIGINT to npm) stops it. */
describe('npm start', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('shows each step, then stops the whole platform on SIGINT to the npm process', async () => {
    const ports = Object.fromEntries(SUBGRAPHS.map((definition) => [`${definition.name.toUpperCase()}_PORT`, '0']));
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...ports, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(npm, 'exit');
    try {
      await waitFor(
        'npm start to be ready',
        () => {
          assert.equal(npm.exitCode, null, `npm start exited early:\n${output}`);
          return /ready in/.test(output);
        },
        200_000,
        () => `\n${output}`,
        200,
      );
      assert.match(output, /building/);
      for (const definition of SUBGRAPHS) assert.match(output, new RegExp(`${definition.name} up`));
      assert.match(output, /router up/);
      const routerUrl = /Router\s+(http:\/\/\S+)/.exec(output)?.[1];
      assert.ok(routerUrl, output);
      assert.equal((await fetch(routerUrl.replace(/\/graphql$/, '/health/live'))).status, 200);

      npm.kill('SIGINT');
      await within('npm start to stop after SIGINT', exited, 20_000);
      await assert.rejects(fetch(routerUrl), 'the router still answers after SIGINT');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
