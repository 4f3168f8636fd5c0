// Rotates identity's signing key: a new key signs from now on, the old one keeps verifying until its tokens expire.
// Usage: npm run rotate-signing-key -w subgraphs/identity (DATABASE_URL and IDENTITY_KEY_ENCRYPTION_KEYS as the service has them)
import { createLogger, keyringFromEnv, openDatabase, readString, runMain } from '@commerce/kit';
import { createClient } from '../data/client.js';
import { KEY_ENCRYPTION_KEYS_VARIABLE, SigningKeys } from '../data/key-store.js';
import { partnerTokenConfigFromEnv } from '../http/token-endpoint.js';
import { ACCESS_TOKEN_TTL_SECONDS } from '../domain/tokens.js';

runMain(async () => {
  const env = process.env;
  const database = await openDatabase(readString(env, 'DATABASE_URL'));
  const db = createClient(database);
  try {
    const keyring = keyringFromEnv(env, KEY_ENCRYPTION_KEYS_VARIABLE);
    const retainSeconds = Math.max(ACCESS_TOKEN_TTL_SECONDS, partnerTokenConfigFromEnv(env).tokenTtlSeconds) + 60;
    const keys = new SigningKeys(db, keyring, retainSeconds);
    // Refuses (ConfigError) before changing anything when the KEKs do not open the stored keys.
    await keys.prepare(createLogger('identity-keys', 'warn'));
    const { kid, retired } = await keys.rotate();
    process.stdout.write(
      `identity: signing key ${kid} now signs; retired ${retired.join(', ') || 'none'} (in the JWKS ${retainSeconds} s more)\n`,
    );
  } finally {
    await db.$disconnect();
    await database.close();
  }
});
