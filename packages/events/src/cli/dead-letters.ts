// Lists, replays and discards the dead letters of the event bus on Redis (REDIS_URL, EVENTS_STREAM_PREFIX).
// Usage: npm run dead-letters -- [list [<stream>] [--limit N] | replay <stream> (--all | <id>...) | discard <stream> <id>...]
import { ConfigError, createLogger, runMain } from '@commerce/kit';
import { STREAMS } from '../contracts/checkout.js';
import { createEventTransport, eventBusConfigFromEnv } from '../transport/from-env.js';
import type { DeadLetterOutcome, EventTransport } from '../transport/transport.js';

export const USAGE = `usage: dead-letters list [<stream>] [--limit N]
       dead-letters replay <stream> (--all | <id>...)
       dead-letters discard <stream> <id>...
streams: ${Object.values(STREAMS).join(', ')}`;

/** Most dead letters listed or replayed at once (the dead-letter streams are trimmed like the others). */
const MAX_LIMIT = 10_000;

/** Runs one command against `transport`, writing lines to `write`; resolves with the exit code. */
export async function deadLettersCommand(
  args: readonly string[],
  transport: EventTransport,
  write: (line: string) => void,
): Promise<number> {
  const [command = 'list', stream, ...rest] = args;
  if (command === 'list') {
    const limit = readLimit(rest);
    if (limit === undefined) return usage(write, '--limit must be a whole number from 1 to 10000');
    if (stream === undefined) {
      for (const name of Object.values(STREAMS)) write(`${name}: ${await transport.deadLetterCount(name)} dead letters`);
      return 0;
    }
    for (const dead of await transport.deadLetters(stream, limit)) {
      const { fields, ...summary } = dead;
      write(JSON.stringify({ ...summary, type: fields.type ?? null, eventId: fields.id ?? null }));
    }
    return 0;
  }
  if (command !== 'replay' && command !== 'discard') return usage(write, `unknown command "${command}"`);
  if (stream === undefined || rest.length === 0)
    return usage(write, `${command} needs a stream and ids${command === 'replay' ? ' (or --all)' : ''}`);
  const all = rest.length === 1 && rest[0] === '--all' && command === 'replay';
  const ids = all ? (await transport.deadLetters(stream, MAX_LIMIT)).map((dead) => dead.id) : rest;
  const outcomes = command === 'replay' ? await transport.replayDeadLetters(stream, ids) : await transport.discardDeadLetters(stream, ids);
  for (const outcome of outcomes) write(JSON.stringify(outcome));
  const done = outcomes.filter((outcome) => outcome.outcome === (command === 'replay' ? 'replayed' : 'discarded')).length;
  write(`${stream}: ${done} of ${outcomes.length} ${command === 'replay' ? 'replayed' : 'discarded'}`);
  return outcomes.every((outcome: DeadLetterOutcome) => outcome.outcome === 'replayed' || outcome.outcome === 'discarded') ? 0 : 1;
}

function readLimit(args: readonly string[]): number | undefined {
  if (args.length === 0) return 100;
  if (args.length !== 2 || args[0] !== '--limit' || !/^\d+$/.test(args[1] ?? '')) return undefined;
  const limit = Number(args[1]);
  return limit >= 1 && limit <= MAX_LIMIT ? limit : undefined;
}

function usage(write: (line: string) => void, problem: string): number {
  write(`${problem}\n${USAGE}`);
  return 2;
}

if (process.argv[1]?.endsWith('/cli/dead-letters.js')) {
  runMain(async () => {
    const config = eventBusConfigFromEnv(process.env);
    if (!config.redisUrl) {
      throw new ConfigError(
        'REDIS_URL is not set: the embedded event bus keeps its dead letters inside the running platform process (see /metrics and its logs)',
      );
    }
    const transport = createEventTransport(config, createLogger('dead-letters', process.env.LOG_LEVEL ?? 'warn'));
    try {
      process.exitCode = await deadLettersCommand(process.argv.slice(2), transport, (line) => process.stdout.write(`${line}\n`));
    } finally {
      await transport.close();
    }
  });
}
