import { pino, type Logger } from 'pino';
import { readChoice } from './config.js';

export type { Logger };

/** JSON-lines logger; credentials and personal data are redacted wherever they appear in a log object. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** LOG_LEVEL from the environment, validated (a bad value stops the process with a clear message). */
export function logLevelFromEnv(fallback: (typeof LOG_LEVELS)[number] = 'info'): string {
  return readChoice(process.env, 'LOG_LEVEL', LOG_LEVELS, fallback);
}

export function createLogger(service: string, level = logLevelFromEnv()): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        'password', '*.password', 'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken',
        '*.refreshToken', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
        'headers["x-commerce-principal-signature"]',
      ],
      censor: '[redacted]',
    },
  });
}
