import { buildFederatedSchema, countQueries, DEFAULT_PORTS, type SubgraphDefinition } from '@commerce/kit';
import { createClient } from './data/client.js';
import { activeSigningKey, publicKeys } from './data/key-store.js';
import { createLoaders } from './data/loaders.js';
import { seedIdentity } from './data/seed.js';
import { REVOCATIONS_PATH, revocationsEndpoint } from './http/revocations-endpoint.js';
import { partnerTokenConfigFromEnv, TOKEN_PATH, tokenEndpoint } from './http/token-endpoint.js';
import { PartnerClientResolver } from './schema/partners.js';
import { referenceResolvers, UserResolver } from './schema/resolvers.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export const subgraph: SubgraphDefinition = {
  name: 'identity',
  defaultPort: DEFAULT_PORTS.identity,
  buildSchema: () => buildFederatedSchema([UserResolver, PartnerClientResolver], referenceResolvers),
  async create({ db: database, logger, env }) {
    const db = createClient(database);
    await activeSigningKey(db);
    const token = tokenEndpoint(db, logger, partnerTokenConfigFromEnv(env));
    const revocations = revocationsEndpoint(db, logger);
    return {
      createContext: (principal) => ({ principal, db, loaders: createLoaders(db) }),
      routes: (router) => {
        router.get(JWKS_PATH, async (_req, res) => {
          res.set('cache-control', 'public, max-age=300').json({ keys: await publicKeys(db) });
        });
        router.get(REVOCATIONS_PATH, async (req, res) => {
          const answer = await revocations(req.query);
          res.status(answer.status).set('cache-control', 'no-store').json(answer.body);
        });
        router.post(TOKEN_PATH, async (req, res) => {
          const answer = await token(req);
          res.status(answer.status).set(answer.headers).json(answer.body);
        });
      },
      seed: (data) => seedIdentity(db, data),
      isEmpty: async () => (await db.user.count()) === 0,
      queries: countQueries(db),
      close: () => db.$disconnect(),
    };
  },
};
