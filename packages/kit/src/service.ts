import type { IncomingMessage } from 'node:http';
import type { Router } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Database } from './db/database.js';
import type { QueryCounter } from './db/query-counter.js';
import type { DemoData } from './demo/dataset.js';
import type { Logger } from './log.js';
import type { EventMetricsSource } from './metrics/events.js';
import type { Principal } from './principal.js';
import type { PubSub } from './pubsub/pubsub.js';
import type { SharedResources } from './shared.js';

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
   * on /graphql when the schema has a Subscription type); the caller owns and closes it. `shared` holds what the
   * services of this deployment unit share (the event bus: `serviceEventBus(shared, logger)` of @commerce/events).
   */
  create(deps: SubgraphDeps): Promise<SubgraphInstance>;
}

export interface SubgraphDeps {
  db: Database;
  logger: Logger;
  schema: GraphQLSchema;
  pubsub: PubSub;
  shared: SharedResources;
  /** Environment the service reads its settings from (process.env in production). */
  env: Record<string, string | undefined>;
  /**
   * The client's address for a request to one of the subgraph's own routes: the router's signed one, else the
   * socket's peer. Throws ClientAddressHeaderError when the signed header is forged or stale.
   */
  clientAddress(req: IncomingMessage): string;
}

/** What the server knows of an HTTP request beside its principal. */
export interface RequestInfo {
  /** The router's client (signed by the router), else the direct caller; see `SubgraphDeps.clientAddress`. */
  clientAddress: string;
}

export interface RequestContext {
  principal?: Principal;
}

export interface SubgraphInstance {
  /** Per-request context (and per subscription event): the principal plus this subgraph's fresh DataLoaders. */
  createContext(principal: Principal | undefined, request?: RequestInfo): RequestContext;
  /** Extra HTTP routes beside /graphql (e.g. identity's JWKS). */
  routes?(router: Router): void;
  /** Writes this subgraph's slice of the demo data set into an empty database. */
  seed(data: DemoData): Promise<void>;
  /** Resolves once background work (event consumers) runs; the server listens after it. */
  ready?(): Promise<void>;
  /** True when the database holds no data yet (the embedded launcher seeds then). */
  isEmpty(): Promise<boolean>;
  queries: QueryCounter;
  /** The service's event bus handle (its `ServiceEvents`), for the outbox, consumer and dead-letter metrics. */
  events?: EventMetricsSource;
  close(): Promise<void>;
}
