/** Reads and validates configuration from the environment; a bad value stops the process with a clear message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The process could not start (e.g. its database stayed unreachable): one line for the operator, no stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}

type Env = Record<string, string | undefined>;

export function readString(env: Env, key: string, fallback?: string): string {
  const value = env[key];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${key} is required`);
}

export function readOptional(env: Env, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value === '' ? undefined : value;
}

export function readPort(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${key} must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

export function readUrl(env: Env, key: string, fallback?: string): string {
  const value = readString(env, key, fallback);
  try {
    new URL(value);
  } catch {
    throw new ConfigError(`${key} must be a URL, got "${value}"`);
  }
  return value;
}

export function readInteger(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function readChoice<T extends string>(env: Env, key: string, choices: readonly T[], fallback: T): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!choices.includes(raw as T)) throw new ConfigError(`${key} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function readBoolean(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw}"`);
}

export function readSecret(env: Env, key: string, minLength = 32): string {
  const value = readString(env, key);
  if (value.length < minLength) throw new ConfigError(`${key} must be at least ${minLength} characters`);
  return value;
}

/** Runs a service entry point: configuration errors print one line and exit 1, without a stack trace. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
    } else if (error instanceof StartupError) {
      process.stderr.write(`start-up failed: ${error.message}\n`);
    } else {
      process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}
