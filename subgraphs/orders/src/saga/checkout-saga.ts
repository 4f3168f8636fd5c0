import {
  appendToOutbox,
  checkoutMessage,
  isCheckoutMessage,
  prismaSql,
  prismaTransactions,
  STREAMS,
  withAfterCommit,
  type CheckoutMessage,
  type EventEnvelope,
  type HookedTx,
  type IdempotentSubscription,
  type ServiceEvents,
} from '@commerce/events';
import type { Logger } from '@commerce/kit';
import type { OrdersDb, OrdersTx } from '../data/client.js';
import { appendOrderEventIn, loadOrder } from '../data/order-store.js';
import type { OrderUpdates } from '../data/order-updates.js';
import { dueSagas, insertSaga, lockDueSaga, lockSaga, saveSaga } from '../data/saga-store.js';
import { OrderDomainError, type OrderState, type RecordedOrderEvent } from '../domain/order.js';
import {
  onCancel,
  onReply,
  onTimeout,
  retryDelayMs,
  stepCommand,
  type SagaDecision,
  type SagaSettings,
  type SagaState,
} from '../domain/saga.js';
import { defined } from '@commerce/kit';

/** Replies the saga listens to (inventory's and payments'). */
const REPLIES = [
  'inventory.stock-reserved',
  'inventory.stock-reservation-failed',
  'inventory.stock-committed',
  'inventory.stock-commit-failed',
  'inventory.stock-released',
  'payments.payment-authorized',
  'payments.payment-failed',
  'payments.payment-captured',
  'payments.payment-capture-failed',
  'payments.payment-voided',
] as const;

export interface CheckoutSagaOptions {
  db: OrdersDb;
  events: ServiceEvents;
  updates: OrderUpdates;
  logger: Logger;
  settings: SagaSettings;
  /** How often timed-out steps are looked for. */
  sweepIntervalMs: number;
}

type Changed = { orderId: string; version: number };

/**
 * The checkout saga's orchestrator (decisions in domain/saga.ts). It talks to inventory and payments only through
 * the event bus: commands go to the outbox in the same transaction as the order's events and the saga's row, and
 * replies come back through an idempotent consumer (the inbox). A sweeper sends timed-out steps again or fails
 * them. Everything it needs to resume after a crash is in the database: the saga rows, the outbox, the inbox.
 */
export class CheckoutSaga {
  private readonly db: OrdersDb;
  private readonly options: CheckoutSagaOptions;
  private subscription: IdempotentSubscription | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(options: CheckoutSagaOptions) {
    this.options = options;
    this.db = options.db;
  }

  start(): void {
    const transactions = withAfterCommit(prismaTransactions(this.db), (error) =>
      this.options.logger.warn({ err: error }, 'checkout saga: after-commit work failed'),
    );
    this.subscription = this.options.events.consume<HookedTx<OrdersTx>>({
      streams: [STREAMS.inventory, STREAMS.payments],
      transactions,
      handler: async (event, { tx, afterCommit }) => {
        if (!isCheckoutMessage(event, ...REPLIES)) return; // stock events and the like are not the saga's
        const message = event as Extract<CheckoutMessage, { type: (typeof REPLIES)[number] }>; // narrowed by type above
        const locked = await this.lockSagaWithOrder(tx, message.payload.orderId);
        if (!locked) {
          this.options.logger.warn(
            { orderId: message.payload.orderId, eventType: message.type },
            'checkout saga: no saga for this order; reply ignored',
          );
          return;
        }
        const changed = await this.apply(tx, locked, onReply(locked.order, locked.saga, message, this.options.settings));
        if (changed) afterCommit(() => this.announce(changed));
      },
    });
    this.sweeper = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'checkout saga: sweeping timed-out steps failed'))
        .finally(() => (this.sweeping = undefined));
    }, this.options.sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Resolves once the reply consumer reads. */
  get ready(): Promise<void> {
    return this.subscription?.ready ?? Promise.resolve();
  }

  /**
   * Starts the saga of a newly placed order, inside checkout's transaction: the saga row, the `order-placed` event
   * and the first command. Call `announce` after the commit.
   */
  async begin(tx: OrdersTx, order: OrderState): Promise<void> {
    const { settings } = this.options;
    await insertSaga(tx, {
      orderId: order.id,
      step: 'RESERVING_STOCK',
      attempts: 1,
      deadlineAt: new Date(Date.now() + retryDelayMs('RESERVING_STOCK', 1, settings)),
    });
    const placed = checkoutMessage(
      'orders.order-placed',
      { orderId: order.id, userId: order.userId, total: order.total, lines: order.lines },
      { version: order.version },
    );
    await this.send(tx, [placed, ...this.commandsOf(stepCommand('RESERVING_STOCK', order, settings), order)]);
  }

  /** Cancels a PENDING order for its buyer or an admin, compensating what the saga did so far. */
  async cancel(orderId: string, by: string): Promise<void> {
    const changed = await this.db.$transaction(async (tx) => {
      const locked = await this.lockSagaWithOrder(tx, orderId);
      if (!locked) throw new OrderDomainError('ORDER_NOT_FOUND', 'No such order');
      return this.apply(tx, locked, onCancel(locked.order, locked.saga, by));
    });
    if (changed) await this.announce(changed);
  }

  /** After a commit: live subscribers hear of the change, the relay publishes now. */
  async announce(changed: Changed): Promise<void> {
    this.options.events.nudge();
    await this.options.updates.changed(changed);
  }

  /** Handles the sagas whose step has timed out (every `sweepIntervalMs`; tests call it directly). */
  async sweep(now = new Date()): Promise<number> {
    let handled = 0;
    for (const orderId of await dueSagas(this.db, now, 100)) {
      const changed = await this.db.$transaction(async (tx) => {
        const saga = await lockDueSaga(tx, orderId, now);
        if (!saga) return undefined; // another instance has it, or a reply came meanwhile
        const order = await loadOrder(tx, orderId);
        return order && this.apply(tx, { saga, order }, onTimeout(order, saga, this.options.settings));
      });
      if (changed) {
        handled += 1;
        await this.announce(changed);
      }
    }
    return handled;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
  }

  /** Locks the order's saga row (FOR UPDATE) and rebuilds the order; undefined when either does not exist. */
  private async lockSagaWithOrder(tx: OrdersTx, orderId: string): Promise<{ saga: SagaState; order: OrderState } | undefined> {
    const saga = await lockSaga(tx, orderId);
    const order = saga ? await loadOrder(tx, orderId) : undefined;
    return saga && order ? { saga, order } : undefined;
  }

  /**
   * Applies a decision in `tx`, the saga row being locked: order events, outbox messages, the saga's next step.
   * Returns the order's new version when anything changed.
   */
  private async apply(tx: OrdersTx, locked: { saga: SagaState; order: OrderState }, decision: SagaDecision): Promise<Changed | undefined> {
    let order = locked.order;
    const appended: RecordedOrderEvent[] = [];
    for (const event of decision.orderEvents) {
      const result = await appendOrderEventIn(tx, order, event);
      order = result.state;
      appended.push(result.event);
    }
    const messages = [...appended.flatMap((event) => this.orderEventMessage(event, order)), ...this.commandsOf(decision.commands, order)];
    await this.send(tx, messages);
    if (decision.next !== 'unchanged') await saveSaga(tx, this.nextSaga(locked.saga, decision.next));
    const changedAnything = appended.length > 0 || messages.length > 0 || decision.next !== 'unchanged';
    return changedAnything ? { orderId: order.id, version: order.version } : undefined;
  }

  private nextSaga(saga: SagaState, next: { step: SagaState['step'] } | 'retry'): SagaState {
    const step = next === 'retry' ? saga.step : next.step;
    const attempts = next === 'retry' ? saga.attempts + 1 : 1;
    const deadlineAt = step === 'DONE' ? null : new Date(Date.now() + retryDelayMs(step, attempts, this.options.settings));
    return { orderId: saga.orderId, step, attempts, deadlineAt };
  }

  /** Order events other services follow (notifications): confirmed, failed, cancelled. */
  private orderEventMessage(event: RecordedOrderEvent, order: OrderState): EventEnvelope[] {
    const base = { orderId: order.id, userId: order.userId };
    const options = { version: event.version };
    switch (event.type) {
      case 'OrderConfirmed':
        return [
          checkoutMessage(
            'orders.order-confirmed',
            { ...base, total: order.total, vendorIds: [...new Set(order.lines.map((line) => line.vendorId))] },
            options,
          ),
        ];
      case 'OrderFailed':
        return [checkoutMessage('orders.order-failed', { ...base, reason: event.payload.reason }, options)];
      case 'OrderCancelled':
        return [checkoutMessage('orders.order-cancelled', base, options)];
      default:
        return [];
    }
  }

  private commandsOf(commands: SagaDecision['commands'], order: OrderState): EventEnvelope[] {
    return commands.map((command) => checkoutMessage(command.type, command.payload, { version: order.version }));
  }

  /** Writes the messages to the outbox, each on its stream, in order: one INSERT per run of the same stream. */
  private async send(tx: OrdersTx, messages: EventEnvelope[]): Promise<void> {
    const sql = prismaSql(tx);
    for (let start = 0; start < messages.length; ) {
      const stream = streamOf(defined(messages[start], 'the message').type);
      let end = start + 1;
      while (end < messages.length && streamOf(defined(messages[end], 'the message').type) === stream) end += 1;
      await appendToOutbox(sql, stream, messages.slice(start, end));
      start = end;
    }
  }
}

function streamOf(type: string): string {
  if (type.startsWith('orders.')) return STREAMS.orders;
  if (type.startsWith('inventory.')) return STREAMS.inventoryCommands;
  if (type.startsWith('payments.')) return STREAMS.paymentCommands;
  throw new Error(`no stream for ${type}`);
}
