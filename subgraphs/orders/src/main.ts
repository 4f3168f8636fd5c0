import { runMain, runStandalone } from '@commerce/kit';
import { keyringFromEnv } from './domain/encryption.js';
import { createOrdersSubgraph } from './index.js';

// Production: ORDERS_ENCRYPTION_KEYS is required (no embedded dev key), checked before anything starts.
runMain(async () => runStandalone(createOrdersSubgraph({ keyring: keyringFromEnv(process.env) })));
