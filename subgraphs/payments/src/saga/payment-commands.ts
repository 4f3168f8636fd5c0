import {
  appendToOutbox,
  checkoutMessage,
  isCheckoutMessage,
  prismaSql,
  recordInInbox,
  STREAMS,
  type EventEnvelope,
  type ServiceEvents,
} from '@commerce/events';
import type { Logger } from '@commerce/kit';
import type { PaymentsDb } from '../data/client.js';
import { PaymentError, type AuthorizeInput, type PaymentIntentRecord } from '../domain/payment-intent.js';
import type { PaymentService } from '../domain/payment-service.js';

const COMMANDS = ['payments.authorize-payment', 'payments.capture-payment', 'payments.void-payment'] as const;
const GROUP = 'payments';

/**
 * Payments' part of the checkout saga. A provider call can take seconds, so it does not run inside a database
 * transaction: the handler first carries the command out through the payment service, which is idempotent per
 * order (a repeat returns the same intent, and the provider sees the same idempotency key, so nothing is charged
 * twice), then records the event in the inbox and writes the reply to the outbox in one transaction. A redelivery
 * before that commit repeats the (idempotent) call and replies once; after it, it is skipped.
 */
export function startPaymentCommands(options: {
  db: PaymentsDb;
  events: Pick<ServiceEvents, 'subscribe' | 'nudge'>;
  payments: PaymentService;
  logger: Logger;
}): void {
  const { db, events, payments, logger } = options;
  events.subscribe({
    streams: [STREAMS.paymentCommands],
    handler: async (event) => {
      if (!isCheckoutMessage(event, ...COMMANDS)) return;
      if (await alreadyHandled(db, event.id)) return;
      const reply = await carryOut(payments, event, logger);
      const recorded = await db.$transaction(async (tx) => {
        const sql = prismaSql(tx);
        if (!(await recordInInbox(sql, GROUP, event.id))) return false;
        if (reply) await appendToOutbox(sql, STREAMS.payments, [reply]);
        return true;
      });
      if (recorded) events.nudge();
    },
  });
}

async function alreadyHandled(db: PaymentsDb, eventId: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM inbox_events WHERE consumer = ${GROUP} AND event_id = ${eventId}::uuid`;
  return rows.length > 0;
}

type Command = EventEnvelope & { type: (typeof COMMANDS)[number] };

/** The reply to a command; throws (and the transport retries) when the provider is unavailable. */
async function carryOut(payments: PaymentService, command: Command, logger: Logger): Promise<EventEnvelope | undefined> {
  const { orderId } = command.payload as { orderId: string }; // every payments command names its order
  if (isCheckoutMessage(command, 'payments.authorize-payment')) {
    const intent = await authorize(payments, command.payload);
    return intent.status === 'failed'
      ? checkoutMessage('payments.payment-failed', { orderId, reason: intent.failureReason ?? 'PROVIDER_ERROR' })
      : checkoutMessage('payments.payment-authorized', { orderId, paymentIntentId: intent.id });
  }
  if (isCheckoutMessage(command, 'payments.capture-payment')) {
    try {
      const intent = await payments.capturePayment(orderId);
      return checkoutMessage('payments.payment-captured', { orderId, paymentIntentId: intent.id });
    } catch (error) {
      if (!(error instanceof PaymentError) || error.code === 'PROVIDER_UNAVAILABLE') throw error;
      return checkoutMessage('payments.payment-capture-failed', { orderId, reason: error.code });
    }
  }
  try {
    await payments.voidPayment(orderId);
  } catch (error) {
    if (!(error instanceof PaymentError) || error.code === 'PROVIDER_UNAVAILABLE') throw error;
    // PAYMENT_NOT_FOUND: the authorization never happened (a late one is voided when its reply comes); a failed
    // authorization is voided as a no-op by the payment rules, so what is left here is a real surprise
    if (error.code !== 'PAYMENT_NOT_FOUND') logger.warn({ orderId, code: error.code }, 'payment not voided');
  }
  return checkoutMessage('payments.payment-voided', { orderId });
}

/** A malformed authorization (a bug in the saga) fails the payment instead of retrying forever. */
async function authorize(
  payments: PaymentService,
  input: AuthorizeInput,
): Promise<Pick<PaymentIntentRecord, 'id' | 'status' | 'failureReason'>> {
  try {
    return await payments.authorizePayment(input);
  } catch (error) {
    if (!(error instanceof PaymentError) || error.code === 'PROVIDER_UNAVAILABLE') throw error;
    return { id: input.orderId, status: 'failed', failureReason: error.code };
  }
}
