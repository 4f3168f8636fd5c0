import type { AuthorizeInput, PaymentIntentRecord, PaymentOperation, PaymentStatus } from '../domain/payment-intent.js';
import type { PaymentStore } from '../domain/payment-service.js';
import type { PaymentIntent } from '../generated/prisma/client.js';
import type { PaymentsDb } from './client.js';

export function toRecord(row: PaymentIntent): PaymentIntentRecord {
  return {
    id: row.id,
    orderId: row.orderId,
    customerId: row.customerId,
    amount: row.amount.toFixed(2),
    currency: row.currency,
    status: row.status as PaymentStatus,
    paymentMethod: row.paymentMethod,
    providerReference: row.providerReference,
    failureReason: row.failureReason,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
  };
}

/** Payment intents of many orders in one query (the DataLoader's batch). */
export async function intentsByOrder(db: PaymentsDb, orderIds: readonly string[]): Promise<PaymentIntentRecord[]> {
  const rows = await db.paymentIntent.findMany({ where: { orderId: { in: [...orderIds] } } });
  return rows.map(toRecord);
}

export function createPaymentStore(db: PaymentsDb): PaymentStore {
  return {
    async findByOrder(orderId) {
      const row = await db.paymentIntent.findUnique({ where: { orderId } });
      return row ? toRecord(row) : null;
    },
    async createIfAbsent(input: AuthorizeInput) {
      // ON CONFLICT (order_id) DO NOTHING: concurrent first calls for one order end up with one intent
      await db.paymentIntent.createMany({
        data: [
          {
            orderId: input.orderId,
            customerId: input.customerId ?? null,
            amount: input.amount,
            currency: input.currency,
            paymentMethod: input.paymentMethod,
            status: 'requires_authorization',
          },
        ],
        skipDuplicates: true,
      });
      return toRecord(await db.paymentIntent.findUniqueOrThrow({ where: { orderId: input.orderId } }));
    },
    async transition(intent, change) {
      const { count } = await db.paymentIntent.updateMany({
        where: { id: intent.id, version: intent.version, status: intent.status },
        data: {
          status: change.status,
          ...(change.providerReference !== undefined ? { providerReference: change.providerReference } : {}),
          ...(change.failureReason !== undefined ? { failureReason: change.failureReason } : {}),
          version: { increment: 1 },
        },
      });
      if (count === 0) return null;
      return toRecord(await db.paymentIntent.findUniqueOrThrow({ where: { id: intent.id } }));
    },
    async countAttempt(intentId: string, operation: PaymentOperation, key: string) {
      await db.providerCall.createMany({
        data: [{ intentId, operation, idempotencyKey: key, status: 'pending' }],
        skipDuplicates: true,
      });
      await db.providerCall.update({ where: { idempotencyKey: key }, data: { attempts: { increment: 1 } } });
    },
    async finishCall(key, outcome) {
      await db.providerCall.update({
        where: { idempotencyKey: key },
        data: { status: outcome.status, providerReference: outcome.providerReference ?? null, errorCode: outcome.errorCode ?? null },
      });
    },
  };
}
