/**
 * The engine and @apollo/gateway over the same recorded subgraph answers (no subgraph runs while measuring): what
 * `npm run bench -- engine` times, so the CPU it measures is the router's alone. Answers are recorded once by
 * running each side against the in-process edge-case subgraphs; replaying parses the recorded JSON text, as a
 * router parses a subgraph's HTTP body.
 */
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type DocumentNode, parse } from 'graphql';
import { type EngineResult, prepare, type SubgraphFetcher } from '../src/engine/index.js';
import { buildEdgeCases, InProcessFetcher } from './engine-subgraphs.js';

const keyOf = (subgraph: string, query: string, variables: unknown) => `${subgraph}\n${query}\n${JSON.stringify(variables ?? {})}`;

export interface ReplayBench {
  engine(): Promise<EngineResult>;
  gateway(): Promise<unknown>;
  /** Subgraph fetches per request, by side. */
  fetches: { engine: number; gateway: number };
  stop(): Promise<void>;
}

export async function startReplayBench(query: string, scale: number, variables: Record<string, unknown> = {}): Promise<ReplayBench> {
  const { schemas, supergraphSdl } = buildEdgeCases({ scale });
  const live = new InProcessFetcher(schemas);

  // The engine: recorded once, then replayed.
  const engine = prepare(supergraphSdl);
  const document: DocumentNode = parse(query);
  const engineAnswers = new Map<string, string>();
  const recorder: SubgraphFetcher = {
    async fetch(subgraph, request) {
      const response = await live.fetch(subgraph, request);
      engineAnswers.set(keyOf(subgraph, request.query, request.variables), JSON.stringify(response));
      return response;
    },
  };
  await engine.execute({ document, variables }, recorder);
  const replay: SubgraphFetcher = {
    async fetch(subgraph, request) {
      const text = engineAnswers.get(keyOf(subgraph, request.query, request.variables));
      if (text === undefined) throw new Error(`no recorded answer for ${subgraph}`);
      return JSON.parse(text);
    },
  };

  // The gateway: the same, through a data source per subgraph.
  const gatewayAnswers = new Map<string, string>();
  let recording = true;
  let gatewayFetches = 0;
  const dataSource = (name: string): GraphQLDataSource => ({
    async process({ request }): Promise<GatewayGraphQLResponse> {
      const key = keyOf(name, request.query ?? '', request.variables);
      if (recording) {
        gatewayFetches++;
        const answer = await live.fetch(name, { query: request.query ?? '', variables: request.variables ?? {} });
        gatewayAnswers.set(key, JSON.stringify(answer));
      }
      const text = gatewayAnswers.get(key);
      if (text === undefined) throw new Error(`no recorded answer for ${name}`);
      return JSON.parse(text);
    },
  });
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ name }) => dataSource(name) });
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  const runGateway = async () => {
    const response = await server.executeOperation({ query, variables });
    if (response.body.kind !== 'single') throw new Error('incremental answer');
    return response.body.singleResult;
  };
  await runGateway();
  recording = false;
  return {
    engine: () => engine.execute({ document, variables }, replay),
    gateway: runGateway,
    fetches: { engine: engineAnswers.size, gateway: gatewayFetches },
    stop: () => server.stop(),
  };
}
