import { buildFederatedSchema, countQueries, DEFAULT_PORTS, openLimiterStore, readOptional, readString, type SubgraphDefinition } from '@commerce/kit';
import { PartnerAuthThrottle } from './app/client-auth-throttle.js';
import { LogInThrottle } from './app/log-in-throttle.js';
import { createClient } from './data/client.js';
import { activeSigningKey, publicKeys } from './data/key-store.js';
import { createLoaders } from './data/loaders.js';
import { seedIdentity } from './data/seed.js';
import { clientAuthThrottleConfigFromEnv, logInThrottleConfigFromEnv } from './domain/throttling.js';
import { partnerTokenConfigFromEnv, TOKEN_PATH, tokenEndpoint } from './http/token-endpoint.js';
import { PartnerClientResolver } from './schema/partners.js';
import { referenceResolvers, UserResolver } from './schema/resolvers.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export const subgraph: SubgraphDefinition = {
  name: 'identity',
  defaultPort: DEFAULT_PORTS.identity,
  buildSchema: () => buildFederatedSchema([UserResolver, PartnerClientResolver], referenceResolvers),
  async create({ db: database, logger, env, clientAddress }) {
    const tokenConfig = partnerTokenConfigFromEnv(env);
    const logInConfig = logInThrottleConfigFromEnv(env);
    const clientAuthConfig = clientAuthThrottleConfigFromEnv(env);
    const throttlePrefix = readString(env, 'THROTTLE_KEY_PREFIX', 'identity:th:');
    const db = createClient(database);
    await activeSigningKey(db);
    // Failed authentications are counted in Redis when REDIS_URL is set (shared by every identity instance), else in memory.
    const limiterStore = await openLimiterStore({ redisUrl: readOptional(env, 'REDIS_URL'), logger: logger.child({ component: 'throttle' }) });
    const logInThrottle = new LogInThrottle(limiterStore, throttlePrefix, logInConfig);
    const throttle = new PartnerAuthThrottle(limiterStore, throttlePrefix, clientAuthConfig);
    const token = tokenEndpoint({ db, logger, config: tokenConfig, throttle, clientAddress });
    return {
      createContext: (principal, request) => ({
        principal,
        db,
        loaders: createLoaders(db),
        logInThrottle,
        clientAddress: request?.clientAddress ?? 'unknown',
      }),
      routes: (router) => {
        router.get(JWKS_PATH, async (_req, res) => {
          res.set('cache-control', 'public, max-age=300').json({ keys: await publicKeys(db) });
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
