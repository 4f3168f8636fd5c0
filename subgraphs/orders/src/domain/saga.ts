import type { CheckoutMessage, CheckoutMessages } from '@commerce/events';
import { cancel, type OrderEventData, type OrderState } from './order.js';

/**
 * The checkout saga's decisions, pure: from the order (rebuilt from its events), the saga's persisted step and an
 * incoming reply (or a timeout, or a cancellation), what to append to the order, which commands to send and which
 * step to wait in next. The orchestrator (saga/checkout-saga.ts) applies a decision in one transaction with the
 * saga row locked, so decisions never interleave.
 *
 *   RESERVING_STOCK -> AUTHORIZING_PAYMENT -> COMMITTING_STOCK -> (order CONFIRMED) CAPTURING_PAYMENT -> DONE
 *
 * A refusal before the order is confirmed fails it and compensates in reverse (void the payment, release the
 * stock). Replies that come too late (the order failed or was cancelled meanwhile) are compensated again; every
 * command is idempotent on the receiving side, so sending one twice is harmless.
 */
export const SAGA_STEPS = ['RESERVING_STOCK', 'AUTHORIZING_PAYMENT', 'COMMITTING_STOCK', 'CAPTURING_PAYMENT', 'DONE'] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

export interface SagaState {
  orderId: string;
  step: SagaStep;
  /** Sends of the current step's command. */
  attempts: number;
  deadlineAt: Date | null;
}

export interface SagaSettings {
  /** How long a step waits for its reply before the command is sent again. */
  stepTimeoutMs: number;
  /** Sends of a step's command before the order fails (steps before confirmation only). */
  maxAttempts: number;
  /** How long inventory holds a reservation (its own last line against leaked stock). */
  reservationTtlMs: number;
}

export const DEFAULT_SAGA_SETTINGS: SagaSettings = { stepTimeoutMs: 15_000, maxAttempts: 3, reservationTtlMs: 15 * 60_000 };

type CommandType =
  | 'inventory.reserve-stock'
  | 'inventory.commit-stock'
  | 'inventory.release-stock'
  | 'payments.authorize-payment'
  | 'payments.capture-payment'
  | 'payments.void-payment';
export type SagaCommand = { [T in CommandType]: { type: T; payload: CheckoutMessages[T] } }[CommandType];

export interface SagaDecision {
  /** Appended to the order, in order. */
  orderEvents: OrderEventData[];
  commands: SagaCommand[];
  /** The step to wait in next (attempts restart at 1), `retry` to send the step's command again, or unchanged. */
  next: { step: SagaStep } | 'retry' | 'unchanged';
}

const NOTHING: SagaDecision = { orderEvents: [], commands: [], next: 'unchanged' };

/** Why an order failed, as `Order.failureReason` and the `orders.order-failed` event show it. */
export type FailureReason =
  | 'OUT_OF_STOCK'
  | 'PAYMENT_DECLINED'
  | 'PAYMENT_FAILED'
  | 'STOCK_RESERVATION_TIMEOUT'
  | 'PAYMENT_TIMEOUT'
  | 'STOCK_RESERVATION_EXPIRED';

/** The command that a step waits on. */
export function stepCommand(step: SagaStep, order: OrderState, settings: SagaSettings): SagaCommand[] {
  const orderId = order.id;
  switch (step) {
    case 'RESERVING_STOCK':
      return [
        {
          type: 'inventory.reserve-stock',
          payload: {
            orderId,
            lines: order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
            ttlMs: settings.reservationTtlMs,
          },
        },
      ];
    case 'AUTHORIZING_PAYMENT':
      return [
        {
          type: 'payments.authorize-payment',
          payload: {
            orderId,
            customerId: order.userId,
            amount: order.total.amount,
            currency: order.total.currencyCode,
            paymentMethod: order.paymentMethod,
          },
        },
      ];
    case 'COMMITTING_STOCK':
      return [{ type: 'inventory.commit-stock', payload: { orderId } }];
    case 'CAPTURING_PAYMENT':
      return [{ type: 'payments.capture-payment', payload: { orderId } }];
    case 'DONE':
      return [];
  }
}

/** Undoes what the steps before `step` may have done, newest first. */
function compensation(step: SagaStep, orderId: string): SagaCommand[] {
  const release: SagaCommand = { type: 'inventory.release-stock', payload: { orderId } };
  const voidPayment: SagaCommand = { type: 'payments.void-payment', payload: { orderId } };
  // A reserve or authorize command may still be on its way: release/void anyway (idempotent), and a late reply is
  // compensated again when it arrives.
  return step === 'RESERVING_STOCK' ? [release] : [voidPayment, release];
}

function failing(order: OrderState, saga: SagaState, reason: FailureReason): SagaDecision {
  return {
    orderEvents: [{ type: 'OrderFailed', payload: { reason } }],
    commands: compensation(saga.step, order.id),
    next: { step: 'DONE' },
  };
}

const waitingIn = (order: OrderState, saga: SagaState, step: SagaStep) => order.status === 'PENDING' && saga.step === step;
const settled = (order: OrderState) => order.status === 'FAILED' || order.status === 'CANCELLED';

/** The saga's answer to a reply from inventory or payments. */
export function onReply(order: OrderState, saga: SagaState, message: CheckoutMessage, settings: SagaSettings): SagaDecision {
  const orderId = order.id;
  switch (message.type) {
    case 'inventory.stock-reserved':
      if (waitingIn(order, saga, 'RESERVING_STOCK')) {
        return {
          orderEvents: [{ type: 'StockReserved', payload: { reservationIds: message.payload.reservationIds } }],
          commands: stepCommand('AUTHORIZING_PAYMENT', order, settings),
          next: { step: 'AUTHORIZING_PAYMENT' },
        };
      }
      // reserved after the order failed or was cancelled: give the stock back
      return settled(order) ? { ...NOTHING, commands: [{ type: 'inventory.release-stock', payload: { orderId } }] } : NOTHING;
    case 'inventory.stock-reservation-failed':
      if (!waitingIn(order, saga, 'RESERVING_STOCK')) return NOTHING;
      return failing(order, saga, message.payload.reason === 'OUT_OF_STOCK' ? 'OUT_OF_STOCK' : 'STOCK_RESERVATION_EXPIRED');
    case 'payments.payment-authorized':
      if (waitingIn(order, saga, 'AUTHORIZING_PAYMENT')) {
        return {
          orderEvents: [{ type: 'PaymentAuthorized', payload: { paymentIntentId: message.payload.paymentIntentId } }],
          commands: stepCommand('COMMITTING_STOCK', order, settings),
          next: { step: 'COMMITTING_STOCK' },
        };
      }
      return settled(order) ? { ...NOTHING, commands: [{ type: 'payments.void-payment', payload: { orderId } }] } : NOTHING;
    case 'payments.payment-failed':
      return waitingIn(order, saga, 'AUTHORIZING_PAYMENT')
        ? failing(order, saga, message.payload.reason === 'CARD_DECLINED' ? 'PAYMENT_DECLINED' : 'PAYMENT_FAILED')
        : NOTHING;
    case 'inventory.stock-committed':
      if (!waitingIn(order, saga, 'COMMITTING_STOCK')) return NOTHING;
      return {
        orderEvents: [{ type: 'OrderConfirmed', payload: {} }],
        commands: stepCommand('CAPTURING_PAYMENT', order, settings),
        next: { step: 'CAPTURING_PAYMENT' },
      };
    case 'inventory.stock-commit-failed':
      return waitingIn(order, saga, 'COMMITTING_STOCK') ? failing(order, saga, 'STOCK_RESERVATION_EXPIRED') : NOTHING;
    case 'payments.payment-captured':
      if (order.status !== 'CONFIRMED' || saga.step !== 'CAPTURING_PAYMENT') return NOTHING;
      return {
        orderEvents: [{ type: 'PaymentCaptured', payload: { paymentIntentId: message.payload.paymentIntentId } }],
        commands: [],
        next: { step: 'DONE' },
      };
    default:
      // capture failures wait for the step's timeout (and are sent again); voided / released are for the record
      return NOTHING;
  }
}

/**
 * The step's reply did not come in time. Before the order is confirmed: send the command again, up to
 * `maxAttempts` sends, then fail the order. After it (stock committed, payment authorized): never give up; the
 * command is sent again with a growing delay (`retryDelayMs`).
 */
export function onTimeout(order: OrderState, saga: SagaState, settings: SagaSettings): SagaDecision {
  if (saga.step === 'DONE') return NOTHING;
  const beforeConfirmation = saga.step === 'RESERVING_STOCK' || saga.step === 'AUTHORIZING_PAYMENT';
  if (beforeConfirmation && order.status !== 'PENDING') return { ...NOTHING, next: { step: 'DONE' } };
  if (beforeConfirmation && saga.attempts >= settings.maxAttempts) {
    return failing(order, saga, saga.step === 'RESERVING_STOCK' ? 'STOCK_RESERVATION_TIMEOUT' : 'PAYMENT_TIMEOUT');
  }
  return { orderEvents: [], commands: stepCommand(saga.step, order, settings), next: 'retry' };
}

/** The wait before the step's reply is due, for the `attempts`-th send (doubling after confirmation). */
export function retryDelayMs(step: SagaStep, attempts: number, settings: SagaSettings): number {
  const growing = step === 'COMMITTING_STOCK' || step === 'CAPTURING_PAYMENT';
  return growing ? settings.stepTimeoutMs * 2 ** Math.min(attempts - 1, 5) : settings.stepTimeoutMs;
}

export class NotCancellableError extends Error {
  override name = 'NotCancellableError';
}

/**
 * The buyer (or an admin) cancels: only while the saga has not started confirming (once the payment is authorized
 * the stock is being committed, and a cancellation would race it). Throws OrderDomainError or NotCancellableError.
 */
export function onCancel(order: OrderState, saga: SagaState, by: string): SagaDecision {
  const event = cancel(order, by);
  if (saga.step !== 'RESERVING_STOCK' && saga.step !== 'AUTHORIZING_PAYMENT') {
    throw new NotCancellableError('The order is being confirmed and can no longer be cancelled');
  }
  return { orderEvents: [event], commands: compensation(saga.step, order.id), next: { step: 'DONE' } };
}
