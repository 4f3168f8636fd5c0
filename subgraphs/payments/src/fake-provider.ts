import { createLogger, readInteger, readPort, readString, runMain } from '@commerce/kit';
import { startFakeProviderServer } from './providers/fake-server.js';
import { DEFAULT_SLOW_DELAY_MS, FakePaymentBackend } from './providers/fake.js';

/**
 * The fake payment provider as its own process (production mode, the chaos bench): payments talks to it through
 * HttpPaymentProvider (PAYMENTS_PROVIDER_URL), so restarting payments keeps the provider's ledger.
 * Settings: PORT (default 4090), HOST (default 0.0.0.0), PAYMENTS_FAKE_SLOW_MS (pm_card_slow's delay).
 */
runMain(async () => {
  const env = process.env;
  const port = readPort(env, 'PORT', 4090);
  const host = readString(env, 'HOST', '0.0.0.0');
  const slowDelayMs = readInteger(env, 'PAYMENTS_FAKE_SLOW_MS', DEFAULT_SLOW_DELAY_MS, 0, 600_000);
  const logger = createLogger('fake-payment-provider');
  const running = await startFakeProviderServer({ backend: new FakePaymentBackend({ slowDelayMs }), port, host, logger });
  logger.info({ url: running.url }, 'fake payment provider listening');
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
