import { keyringFromEnv, runMain, runStandalone } from '@commerce/kit';
import { createIdentitySubgraph, KEY_ENCRYPTION_KEYS_VARIABLE } from './index.js';

// Production: IDENTITY_KEY_ENCRYPTION_KEYS is required (no embedded dev key), checked before anything starts.
runMain(async () => runStandalone(createIdentitySubgraph({ keyring: keyringFromEnv(process.env, KEY_ENCRYPTION_KEYS_VARIABLE) })));
