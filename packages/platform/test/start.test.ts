import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '@commerce/kit';
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
      const deadline = Date.now() + 200_000;
      while (!/ready in/.test(output)) {
        assert.equal(npm.exitCode, null, `npm start exited early:\n${output}`);
        assert.ok(Date.now() < deadline, `npm start was not ready in time:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.match(output, /building/);
      for (const definition of SUBGRAPHS) assert.match(output, new RegExp(`${definition.name} up`));
      assert.match(output, /router up/);
      const routerUrl = /Router\s+(http:\/\/\S+)/.exec(output)?.[1];
      assert.ok(routerUrl, output);
      assert.equal((await fetch(routerUrl.replace(/\/graphql$/, '/health/live'))).status, 200);

      npm.kill('SIGINT');
      const [code] = (await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(['timeout']), 20_000))])) as [unknown];
      assert.notEqual(code, 'timeout', 'npm start did not stop within 20 s of SIGINT');
      await assert.rejects(fetch(routerUrl), 'the router still answers after SIGINT');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});
