import type { Router } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Database } from './db/database.js';
import type { QueryCounter } from './db/query-counter.js';
import type { DemoData } from './demo/dataset.js';
import type { Logger } from './log.js';
import type { Principal } from './principal.js';
import type { PubSub } from './pubsub/pubsub.js';

/**
 * The shape every subgraph package exports (`export const subgraph: SubgraphDefinition`), so that the
 * embedded platform, the standalone entry point, composition and tests all start them the same way.
 */
export interface SubgraphDefinition {
  name: string;
  /** Default port of the standalone service. */
  defaultPort: number;
  /** Builds the federated schema; needs no database (composition uses it). */
  buildSchema(): Promise<GraphQLSchema>;
  /**
   * Wires the schema to a database. `pubsub` carries live updates to subscriptions (served over graphql-ws
   * on /graphql when the schema has a Subscription type); the caller owns and closes it.
   */
  create(deps: { db: Database; logger: Logger; schema: GraphQLSchema; pubsub: PubSub }): Promise<SubgraphInstance>;
}

export interface RequestContext {
  principal?: Principal;
}

export interface SubgraphInstance {
  /** Per-request context (and per subscription event): the principal plus this subgraph's fresh DataLoaders. */
  createContext(principal: Principal | undefined): RequestContext;
  /** Extra HTTP routes beside /graphql (e.g. identity's JWKS). */
  routes?(router: Router): void;
  /** Writes this subgraph's slice of the demo data set into an empty database. */
  seed(data: DemoData): Promise<void>;
  /** True when the database holds no data yet (the embedded launcher seeds then). */
  isEmpty(): Promise<boolean>;
  queries: QueryCounter;
  close(): Promise<void>;
}
