import {
  buildFederatedSchema,
  countQueries,
  DEFAULT_PORTS,
  keyringFromEnv,
  openLimiterStore,
  readOptional,
  readString,
  type Keyring,
  type SubgraphDefinition,
} from '@commerce/kit';
import { PartnerAuthThrottle } from './app/client-auth-throttle.js';
import { LogInThrottle } from './app/log-in-throttle.js';
import { createClient } from './data/client.js';
import { EMBEDDED_DEV_KEK, KEY_ENCRYPTION_KEYS_VARIABLE, SigningKeys } from './data/key-store.js';
import { createLoaders } from './data/loaders.js';
import { seedIdentity } from './data/seed.js';
import { authorizationServerMetadata, METADATA_PATH } from './http/metadata-endpoint.js';
import { REVOCATIONS_PATH, revocationsEndpoint } from './http/revocations-endpoint.js';
import { REVOKE_PATH, revokeEndpoint } from './http/revoke-endpoint.js';
import { ACCESS_TOKEN_TTL_SECONDS } from './domain/tokens.js';
import { clientAuthThrottleConfigFromEnv, logInThrottleConfigFromEnv } from './domain/throttling.js';
import { partnerTokenConfigFromEnv, TOKEN_PATH, tokenEndpoint } from './http/token-endpoint.js';
import { PartnerClientResolver } from './schema/partners.js';
import { referenceResolvers, UserResolver } from './schema/resolvers.js';

export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The identity subgraph. `keyring` seals the private signing keys at rest; without one it comes from
 * IDENTITY_KEY_ENCRYPTION_KEYS, falling back to a public embedded dev key (the standalone entry point, main.ts,
 * requires the variable instead). `clock` decides which partner client secrets are active (default: the real one).
 */
export function createIdentitySubgraph(options: { keyring?: Keyring; clock?: () => Date } = {}): SubgraphDefinition {
  // Decides which partner client secrets are active; tests move it forward instead of waiting.
  const clock = options.clock ?? (() => new Date());
  return {
    name: 'identity',
    defaultPort: DEFAULT_PORTS.identity,
    buildSchema: () => buildFederatedSchema([UserResolver, PartnerClientResolver], referenceResolvers),
    async create({ db: database, logger, env, clientAddress }) {
      const tokenConfig = partnerTokenConfigFromEnv(env);
      const logInConfig = logInThrottleConfigFromEnv(env);
      const clientAuthConfig = clientAuthThrottleConfigFromEnv(env);
      const throttlePrefix = readString(env, 'THROTTLE_KEY_PREFIX', 'identity:th:');
      if (!options.keyring && !readOptional(env, KEY_ENCRYPTION_KEYS_VARIABLE)) {
        logger.warn(
          `${KEY_ENCRYPTION_KEYS_VARIABLE} is unset: signing keys are sealed with the public embedded dev key; never run production like this`,
        );
      }
      const keyring = options.keyring ?? keyringFromEnv(env, KEY_ENCRYPTION_KEYS_VARIABLE, EMBEDDED_DEV_KEK);
      const db = createClient(database);
      // Retired keys stay in the JWKS as long as a token they signed can live (plus a minute of clock skew).
      const signingKeys = new SigningKeys(db, keyring, Math.max(ACCESS_TOKEN_TTL_SECONDS, tokenConfig.tokenTtlSeconds) + 60);
      try {
        await signingKeys.prepare(logger);
      } catch (error) {
        await db.$disconnect();
        throw error;
      }
      // Failed authentications are counted in Redis when REDIS_URL is set (shared by every identity instance), else in memory.
      const throttleLogger = logger.child({ component: 'throttle' });
      const limiterStore = await openLimiterStore({ redisUrl: readOptional(env, 'REDIS_URL'), logger: throttleLogger });
      const logInThrottle = new LogInThrottle(limiterStore, throttlePrefix, logInConfig, throttleLogger);
      const throttle = new PartnerAuthThrottle(limiterStore, throttlePrefix, clientAuthConfig, throttleLogger);
      const token = tokenEndpoint({ db, logger, config: tokenConfig, throttle, signingKeys, clientAddress, clock });
      const revocations = revocationsEndpoint(db, logger);
      const revoke = revokeEndpoint({ db, logger, throttle, signingKeys, clientAddress, clock });
      return {
        createContext: (principal, request) => ({
          principal,
          db,
          loaders: createLoaders(db),
          signingKeys,
          logInThrottle,
          clientAddress: request?.clientAddress ?? 'unknown',
          clock,
        }),
        routes: (router) => {
          router.get(JWKS_PATH, async (_req, res) => {
            res.set('cache-control', 'public, max-age=300').json({ keys: await signingKeys.publicKeys() });
          });
          router.get(METADATA_PATH, (req, res) => {
            res.set('cache-control', 'no-store').json(authorizationServerMetadata(req));
          });
          router.get(REVOCATIONS_PATH, async (req, res) => {
            const answer = await revocations(req.query);
            res.status(answer.status).set('cache-control', 'no-store').json(answer.body);
          });
          router.post(REVOKE_PATH, async (req, res) => {
            const answer = await revoke(req);
            res.status(answer.status).set(answer.headers).json(answer.body);
          });
          router.post(TOKEN_PATH, async (req, res) => {
            const answer = await token(req);
            res.status(answer.status).set(answer.headers).json(answer.body);
          });
        },
        seed: (data) => seedIdentity(db, data),
        isEmpty: async () => (await db.user.count()) === 0,
        queries: countQueries(db),
        close: async () => {
          await limiterStore.close();
          await db.$disconnect();
        },
      };
    },
  };
}

export const subgraph: SubgraphDefinition = createIdentitySubgraph();
export { EMBEDDED_DEV_KEK, KEY_ENCRYPTION_KEYS_VARIABLE, SigningKeys } from './data/key-store.js';
