import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { readChoice } from './config.js';
import { redactDeep } from './log-redaction.js';

export type { Logger };
export { REDACTED, REDACTED_KEYS } from './log-redaction.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** LOG_LEVEL from the environment, validated (a bad value stops the process with a clear message). */
export function logLevelFromEnv(fallback: (typeof LOG_LEVELS)[number] = 'info'): string {
  return readChoice(process.env, 'LOG_LEVEL', LOG_LEVELS, fallback);
}

/**
 * JSON-lines logger: every line has `level` (a name), `time` (ISO 8601), `service`, `msg`, and `trace_id`/`span_id`
 * when an OpenTelemetry span is active. The values of REDACTED_KEYS are replaced by "[redacted]" at any depth, in
 * the logged object, in child bindings and in serialized errors. `destination` (default stdout) is for tests.
 */
export function createLogger(service: string, level = logLevelFromEnv(), destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => redactDeep(object),
    },
    // `log` above already serialized (and redacted) errors: pino's default `err` serializer would do it again, as type Object.
    serializers: { err: (value: unknown) => (value instanceof Error ? redactDeep(stdSerializers.err(value)) : value) },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies `formatters.bindings` to the root only; children inherit this `child` through their prototype.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactDeep(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/** Correlates log lines with traces once a tracer provider and context manager are registered (a no-op until then). */
function traceFields(): Record<string, string> {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}
