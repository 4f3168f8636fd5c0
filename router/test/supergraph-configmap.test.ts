import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { startRouter, type RunningRouter } from '../src/index.js';
import { postQuery, routerOptions, startIssuer, startStubSubgraph, type Issuer, type StubSubgraph } from './support.js';
import { waitFor } from '@commerce/kit';

// In Kubernetes the supergraph is a ConfigMap mounted as a volume (k8s/base/router.yaml). The kubelet lays it
// out as `<dir>/supergraph.graphql -> ..data/supergraph.graphql` and `..data -> ..<timestamp>/`, and updates it
// by writing a new `..<timestamp>/` and renaming a `..data_tmp` symlink over `..data`: the file's own name
// never changes. The router must still notice.
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const sdl = (fields: string[]) => `${LINK}\ntype Query {\n${fields.map((field) => `  ${field}: String!`).join('\n')}\n}`;

describe('supergraph from a ConfigMap volume', () => {
  let issuer: Issuer;
  let subgraph: StubSubgraph;
  let dir: string;
  let router: RunningRouter;
  let generation = 0;

  const supergraphFor = (fields: string[]) => {
    const composed = composeServices([{ name: 'things', url: subgraph.url, typeDefs: parse(sdl(fields)) }]);
    if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
    return composed.supergraphSdl;
  };

  /** What the kubelet does on a ConfigMap update (atomic_writer): new timestamped directory, ..data swapped by rename. */
  async function publish(fields: string[]): Promise<void> {
    const previous = `..2026_12_04_00_00_0${generation}`;
    generation += 1;
    const next = `..2026_12_04_00_00_0${generation}`;
    await mkdir(join(dir, next));
    await writeFile(join(dir, next, 'supergraph.graphql'), supergraphFor(fields));
    if (generation === 1) {
      await symlink(next, join(dir, '..data'));
      await symlink(join('..data', 'supergraph.graphql'), join(dir, 'supergraph.graphql'));
      return;
    }
    await symlink(next, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, previous), { recursive: true });
  }

  before(async () => {
    issuer = await startIssuer();
    subgraph = await startStubSubgraph('things', sdl(['hello', 'goodbye']), { Query: { hello: () => 'world', goodbye: () => 'moon' } });
    dir = await mkdtemp(join(tmpdir(), 'router-configmap-'));
    await publish(['hello']);
    router = await startRouter(
      routerOptions({ supergraphPath: join(dir, 'supergraph.graphql'), jwksUrl: issuer.jwksUrl, watchSupergraph: true }),
    );
  });

  after(async () => {
    await router?.close();
    await subgraph?.stop();
    await issuer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a ConfigMap update (the ..data symlink swap) reloads the supergraph without a restart', async () => {
    assert.equal(router.supergraphVersion(), 1);
    assert.equal((await postQuery(router.url, '{ goodbye }')).body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    await publish(['hello', 'goodbye']);
    await waitFor('the swapped supergraph to load', () => router.supergraphVersion() === 2);
    assert.deepEqual((await postQuery(router.url, '{ hello goodbye }')).body, { data: { hello: 'world', goodbye: 'moon' } });
    // And again: the watch outlives the directory it first read from.
    await publish(['goodbye']);
    await waitFor('the second update to load', () => router.supergraphVersion() === 3);
    assert.equal((await postQuery(router.url, '{ hello }')).body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  });
});
