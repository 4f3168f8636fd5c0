import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { print, type DocumentNode, type FormattedExecutionResult, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { SubscriberQueue, type Logger, defined } from '@commerce/kit';
import type { RouterContext } from '../context.js';
import { applyPlan } from '../policies/authorization/response.js';
import type { EntityLookups, PolicyRegistry } from '../policies/authorization/policies.js';
import type { GatewayState } from './gateway-state.js';
import type { Established, UpstreamSubscriptions } from './upstreams.js';

/** A subscription that passed the policies (see prepare.ts), ready to run. */
export interface PreparedSubscription {
  /** The document to plan: the client's, or the one authorization rewrote. */
  document: DocumentNode;
  operationName?: string;
  variables: Record<string, unknown>;
  context: RouterContext;
}

interface Group {
  subscribers: Set<SubscriberQueue<FormattedExecutionResult>>;
  /** When the group's upstream subscription reached its subgraph (see upstreams.ts). */
  established: Established;
  leave(): void;
}

/** One subscriber's events, and how it joined. */
export interface Subscribed {
  stream: AsyncIterableIterator<FormattedExecutionResult>;
  established: Established;
  /** It joined a running group: an earlier subscriber planned it and opened its upstream. */
  joined: boolean;
}

export interface ExecutorOptions {
  state(): GatewayState | undefined;
  /** Where a subgraph is (the router's URL overrides applied; the gateway keeps the supergraph's). */
  urlOf(subgraph: string): string | undefined;
  upstreams: UpstreamSubscriptions;
  policies: PolicyRegistry;
  lookups: EntityLookups;
  logger: Logger;
  /** Events a slow subscriber may have waiting before the oldest are dropped. */
  queueCapacity: number;
}

/**
 * Federated subscriptions. The query planner splits a subscription into `primary`, the subscription
 * fetch to the subgraph that owns the root field, and `rest`, the entity fetches for fields of other
 * subgraphs. `primary` runs as a graphql-ws subscription to that subgraph (shared, see upstreams.ts);
 * each event then runs `primary` + `rest` through the gateway's own executor, with the primary fetch
 * answered by the event, so entity fetching, merging and response shaping are the gateway's.
 *
 * Subscribers with the same document, variables and principal form a group: an event is executed once
 * per group and fanned out to its members. `traceContext` goes upstream with a new group's subscription.
 */
export class FederatedSubscriptions {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly options: ExecutorOptions) {}

  get subscribers(): number {
    let count = 0;
    for (const group of this.groups.values()) count += group.subscribers.size;
    return count;
  }

  subscribe(prepared: PreparedSubscription, traceContext: Record<string, string> = {}): Subscribed | FormattedExecutionResult {
    const state = this.options.state();
    if (!state) return failure('The supergraph is not loaded yet', 'SERVICE_UNAVAILABLE');
    const key = groupKey(prepared);
    let group = this.groups.get(key);
    const running = group !== undefined;
    if (!group) {
      const started = this.startGroup(state, key, prepared, traceContext);
      if (!('subscribers' in started)) return started;
      group = started;
    }
    const joined: Group = group;
    const queue: SubscriberQueue<FormattedExecutionResult> = new SubscriberQueue({
      topic: `subscription ${prepared.operationName ?? '(anonymous)'}`, // names the subscriber in the slow-subscriber warning
      capacity: this.options.queueCapacity,
      logger: this.options.logger,
      ready: Promise.resolve(), // the upstream's state is the group's `established`
      onEnd: () => {
        joined.subscribers.delete(queue);
        if (joined.subscribers.size === 0) joined.leave();
      },
    });
    joined.subscribers.add(queue);
    return { stream: queue, established: joined.established, joined: running };
  }

  private startGroup(
    state: GatewayState,
    key: string,
    prepared: PreparedSubscription,
    traceContext: Record<string, string>,
  ): Group | FormattedExecutionResult {
    const { logger } = this.options;
    let plan: SubscriptionNode;
    try {
      const operation = operationFromDocument(state.federatedApiSchema, prepared.document, { operationName: prepared.operationName });
      const node = state.queryPlanner.buildQueryPlan(operation).node;
      if (node?.kind !== 'Subscription') return failure('Not a subscription operation', 'BAD_REQUEST');
      plan = node;
    } catch (error) {
      logger.error({ err: error }, 'cannot plan a subscription');
      return failure('The subscription could not be planned', 'INTERNAL_SERVER_ERROR');
    }
    const { primary } = plan;
    const url = this.options.urlOf(primary.serviceName);
    if (!url) return failure(`No URL for subgraph ${primary.serviceName}`, 'INTERNAL_SERVER_ERROR');
    const upstreamVariables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((name) => name in prepared.variables).map((name) => [name, prepared.variables[name]]),
    );

    const group: Group = { subscribers: new Set(), established: Promise.resolve(undefined), leave: () => {} };
    const broadcast = (result: FormattedExecutionResult) => {
      for (const subscriber of group.subscribers) subscriber.push(result);
    };
    const endAll = () => {
      this.groups.delete(key);
      for (const subscriber of [...group.subscribers]) subscriber.end();
    };
    // Events are executed one at a time per group, so subscribers see them in the order the subgraph sent them.
    let chain = Promise.resolve();
    const upstream = this.options.upstreams.subscribe(
      url,
      primary.operation,
      upstreamVariables,
      {
        next: (event) => {
          chain = chain.then(async () => broadcast(await this.executeEvent(state, plan, event, prepared)));
        },
        error: (errors) => {
          chain = chain.then(() => {
            broadcast({ errors: errors.map((error) => withService(error, primary.serviceName)) });
            endAll();
          });
        },
        complete: () => {
          chain = chain.then(endAll);
        },
      },
      traceContext,
    );
    group.established = upstream.established;
    group.leave = () => {
      if (this.groups.get(key) === group) this.groups.delete(key);
      upstream.unsubscribe();
    };
    this.groups.set(key, group);
    return group;
  }

  private async executeEvent(
    state: GatewayState,
    plan: SubscriptionNode,
    event: FormattedExecutionResult,
    prepared: PreparedSubscription,
  ): Promise<FormattedExecutionResult> {
    const { primary, rest } = plan;
    const subgraph = defined(state.dataSources[primary.serviceName], `the data source of ${primary.serviceName}`);
    // Each group merges into its own copy: the event object is shared by every group on this upstream.
    const answer = structuredClone(event);
    const eventSource: GraphQLDataSource = {
      process: (options) =>
        options.request.query === primary.operation
          ? Promise.resolve(answer as Awaited<ReturnType<GraphQLDataSource['process']>>)
          : subgraph.process(options),
    };
    const node: PlanNode = rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary;
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node };
    const operationContext = buildOperationContext({
      schema: state.apiSchema,
      operationDocument: prepared.document,
      operationName: prepared.operationName,
    });
    const requestContext = {
      request: { query: print(prepared.document), variables: prepared.variables, operationName: prepared.operationName },
      context: prepared.context,
      document: prepared.document,
      operation: operationContext.operation,
      operationName: prepared.operationName ?? null,
      metrics: {},
      logger: this.options.logger,
    } as unknown as GatewayGraphQLRequestContext; // the fields executeQueryPlan and the data sources read
    try {
      const result = await executeQueryPlan(
        queryPlan,
        { ...state.dataSources, [primary.serviceName]: eventSource },
        requestContext,
        operationContext,
        state.supergraphSchema,
        state.federatedApiSchema,
      );
      let data = result.data;
      const errors: GraphQLFormattedError[] = (result.errors ?? []).map(formatError);
      const authorization = prepared.context.authorization;
      if (authorization) {
        const applied = await applyPlan(authorization, data, this.options.policies, this.options.lookups);
        data = applied.data;
        errors.push(...applied.errors.map(formatError));
      }
      return errors.length ? { data, errors } : { data };
    } catch (error) {
      this.options.logger.error({ err: error }, 'subscription event failed');
      return failure('The event could not be completed', 'INTERNAL_SERVER_ERROR');
    }
  }
}

function groupKey(prepared: PreparedSubscription): string {
  const principal = prepared.context.principal;
  return JSON.stringify([
    print(prepared.document),
    prepared.operationName ?? null,
    prepared.variables,
    principal ? [principal.userId, principal.role, principal.vendorId ?? null, [...principal.scopes].sort()] : null,
  ]);
}

/** A lost subgraph connection names the subgraph, as a failed HTTP fetch does; subscribing again is safe. */
function withService(error: GraphQLFormattedError, service: string): GraphQLFormattedError {
  if (error.extensions?.code !== 'SUBGRAPH_UNAVAILABLE') return error;
  return { ...error, extensions: { ...error.extensions, service, retrySafe: true } };
}

function formatError(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  return 'toJSON' in error && typeof error.toJSON === 'function' ? error.toJSON() : (error as GraphQLFormattedError);
}

function failure(message: string, code: string): FormattedExecutionResult {
  return { errors: [{ message, extensions: { code } }] };
}
