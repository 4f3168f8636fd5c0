import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContextResponseForOperation } from '@apollo/server';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '@commerce/kit';
import type { RouterContext } from '../../context.js';
import { emptyRules, hasRules, type AuthorizationRules } from './directives.js';
import { planAuthorization } from './plan.js';
import type { EntityLookups, PolicyRegistry } from './policies.js';
import { applyPlan, unauthorizedError } from './response.js';

/**
 * Field-level authorization from the supergraph's `@authenticated`, `@requiresScopes` and `@policy`, with
 * Apollo Router's semantics. Before the gateway plans, every field the principal may not see is removed from
 * the operation (so no subgraph is asked for it); it comes back null with an `UNAUTHORIZED_FIELD_OR_TYPE`
 * error per removed path, and the null propagates through non-null parents. `reject` mode refuses the whole
 * operation instead (HTTP 403), before any subgraph is called. `off` enforces nothing (subgraphs still check).
 *
 * Per-entity policies (see policies.ts) are decided before execution on root fields (from arguments) and
 * after the fetch elsewhere (from the entity's key, which the router adds to the operation).
 */
export const AUTHORIZATION_MODES = ['filter', 'reject', 'off'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export interface AuthorizationOptions {
  mode: AuthorizationMode;
  policies: PolicyRegistry;
  lookups: EntityLookups;
  /** The rules that belong to a supergraph the gateway loaded (keyed by the SDL the gateway was given). */
  rulesFor(gatewaySdl: string): AuthorizationRules | undefined;
  logger: Logger;
}

/** Operations known to touch no guarded field, by query hash and operation name (bounded). */
const UNGUARDED_CACHE_SIZE = 2000;

export function authorization(options: AuthorizationOptions): ApolloServerPlugin<RouterContext> {
  let rules = emptyRules();
  const unguarded = new Set<string>();
  if (options.mode === 'off') return {};
  return {
    async serverWillStart() {
      return {
        schemaDidLoadOrUpdate({ coreSupergraphSdl }) {
          rules = (coreSupergraphSdl && options.rulesFor(coreSupergraphSdl)) || emptyRules();
          unguarded.clear();
          const unknown = [...rules.policyNames].filter((name) => !options.policies[name]);
          if (unknown.length) options.logger.warn({ unknown }, 'the supergraph uses policies the router does not define; they always deny');
        },
      };
    },
    async requestDidStart() {
      return {
        async responseForOperation(requestContext) {
          if (!hasRules(rules)) return null;
          const { document, operation, request, contextValue, schema } = requestContext;
          const cacheKey = `${requestContext.queryHash}:${request.operationName ?? ''}`;
          if (unguarded.has(cacheKey)) return null;
          const plan = await planAuthorization({
            schema,
            rules,
            policies: options.policies,
            document,
            operation,
            variables: request.variables ?? {},
            principal: contextValue.principal,
            lookups: options.lookups,
          });
          if (plan.guardedFields === 0) {
            if (unguarded.size >= UNGUARDED_CACHE_SIZE) unguarded.clear();
            unguarded.add(cacheKey);
            return null;
          }
          if (plan.removedPaths.length > 0) {
            options.logger.info(
              { userId: contextValue.principal?.userId, paths: plan.removedPaths.map((path) => path.join('.')) },
              'unauthorized fields',
            );
          }
          if (options.mode === 'reject' && plan.removedPaths.length > 0) {
            const errors = plan.removedPaths.map((path) => unauthorizedError(path, plan.principal).toJSON());
            return { http: { status: 403, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { errors } } };
          }
          if (!plan.document) return null;
          contextValue.authorization = plan;
          replaceDocument(requestContext, plan.document);
          return null;
        },
      };
    },
  };
}

/**
 * The gateway runs the rewritten document. Its query-plan cache is keyed by the query hash, so the hash
 * must change with the document, or two principals would share one plan.
 */
function replaceDocument(requestContext: GraphQLRequestContextResponseForOperation<RouterContext>, document: DocumentNode): void {
  // Apollo Server types these as readonly; the gateway executor reads them right after this hook.
  const writable = requestContext as unknown as { document: DocumentNode; operation: OperationDefinitionNode; queryHash: string };
  writable.document = document;
  writable.operation = document.definitions[0] as OperationDefinitionNode;
  writable.queryHash = createHash('sha256').update(print(document)).digest('hex');
}

/** Wraps the gateway so its results get the authorization plan applied before Apollo Server sends them. */
export function withAuthorizedResults(
  gateway: GatewayInterface,
  options: Pick<AuthorizationOptions, 'policies' | 'lookups'>,
): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    load: async (loadOptions) => {
      const loaded = await gateway.load(loadOptions);
      const execute = loaded.executor;
      if (!execute) return loaded;
      const executor: GatewayExecutor = async (requestContext) => {
        const result = await execute(requestContext);
        const plan = (requestContext.context as RouterContext).authorization;
        if (!plan) return result;
        const applied = await applyPlan(plan, result.data, options.policies, options.lookups);
        // A subgraph's own refusal of a field the router nulled as unauthorized would only repeat it.
        const nulled = new Set(applied.errors.map((error) => JSON.stringify(error.path)));
        const errors = [...(result.errors ?? []).filter((error) => !nulled.has(JSON.stringify(error.path))), ...applied.errors];
        return { ...result, data: applied.data, ...(errors.length ? { errors } : { errors: undefined }) };
      };
      return { ...loaded, executor };
    },
  };
}
