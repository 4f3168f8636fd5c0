import { Counter, Gauge, type Registry } from 'prom-client';
import type { AttemptOutcome, CircuitStateName, FetchObserver } from './layer.js';

const STATES: readonly CircuitStateName[] = ['closed', 'open', 'half_open'];

/**
 * The fetch layer's Prometheus series (README, "Metrics"): attempts by outcome (timeouts included), retries
 * (granted or refused by the budget), fetches shared with an identical one in flight, and each subgraph's circuit
 * state (one series per state, 1 for the current one). Subgraph names come from the supergraph: bounded.
 */
export class FetchMetrics implements FetchObserver {
  private readonly attempts: Counter<'subgraph' | 'outcome'>;
  private readonly retries: Counter<'subgraph' | 'granted'>;
  private readonly deduplicated: Counter<'subgraph'>;
  private readonly circuitSources = new Set<() => Iterable<[string, CircuitStateName]>>();

  constructor(registers: Registry[]) {
    this.attempts = new Counter({
      name: 'router_subgraph_fetch_attempts_total',
      help: 'HTTP fetches from subgraphs, retries included, by outcome (success, http_error, timeout, unavailable, circuit_open, bulkhead_rejected)',
      labelNames: ['subgraph', 'outcome'],
      registers,
    });
    this.retries = new Counter({
      name: 'router_subgraph_retries_total',
      help: 'Failed query fetches the router wanted to retry; granted="false" when the retry budget refused',
      labelNames: ['subgraph', 'granted'],
      registers,
    });
    this.deduplicated = new Counter({
      name: 'router_subgraph_fetches_deduplicated_total',
      help: 'Query fetches answered by an identical fetch already in flight (same subgraph, query, variables and principal)',
      labelNames: ['subgraph'],
      registers,
    });
    const sources = this.circuitSources;
    new Gauge({
      name: 'router_subgraph_circuit_state',
      help: "Each subgraph's circuit breaker: 1 for its current state (closed, open: failing fast, half_open: probing), 0 for the others",
      labelNames: ['subgraph', 'state'],
      registers,
      collect() {
        this.reset();
        for (const source of sources) {
          for (const [subgraph, current] of source()) {
            for (const state of STATES) this.set({ subgraph, state }, state === current ? 1 : 0);
          }
        }
      },
    });
  }

  attempt(subgraph: string, outcome: AttemptOutcome): void {
    this.attempts.inc({ subgraph, outcome });
  }

  retry(subgraph: string, granted: boolean): void {
    this.retries.inc({ subgraph, granted: String(granted) });
  }

  shared(subgraph: string): void {
    this.deduplicated.inc({ subgraph });
  }

  /** Reports the circuits of a fetch layer in the gauge; returns the function that stops it. */
  trackCircuits(source: () => Iterable<[string, CircuitStateName]>): () => void {
    this.circuitSources.add(source);
    return () => this.circuitSources.delete(source);
  }
}
