import type { SagaState, SagaStep } from '../domain/saga.js';
import type { OrdersDb, OrdersTx } from './client.js';

interface SagaRow {
  orderId: string;
  step: SagaStep;
  attempts: number;
  deadlineAt: Date | null;
}

const toState = (row: SagaRow): SagaState => ({ orderId: row.orderId, step: row.step, attempts: row.attempts, deadlineAt: row.deadlineAt });

/** Creates the saga of a newly placed order (inside checkout's transaction). */
export async function insertSaga(tx: OrdersTx, saga: SagaState): Promise<void> {
  await tx.checkoutSaga.create({ data: { orderId: saga.orderId, step: saga.step, attempts: saga.attempts, deadlineAt: saga.deadlineAt } });
}

/** The order's saga, locked until the transaction ends (every transition holds this lock); undefined when none. */
export async function lockSaga(tx: OrdersTx, orderId: string): Promise<SagaState | undefined> {
  const [row] = await tx.$queryRaw<SagaRow[]>`
    SELECT order_id::text AS "orderId", step, attempts, deadline_at AS "deadlineAt"
    FROM checkout_sagas WHERE order_id = ${orderId}::uuid FOR UPDATE`;
  return row ? toState(row) : undefined;
}

/** Like lockSaga for a timed-out saga: undefined when it is no longer due or another process is handling it. */
export async function lockDueSaga(tx: OrdersTx, orderId: string, now: Date): Promise<SagaState | undefined> {
  const [row] = await tx.$queryRaw<SagaRow[]>`
    SELECT order_id::text AS "orderId", step, attempts, deadline_at AS "deadlineAt"
    FROM checkout_sagas WHERE order_id = ${orderId}::uuid AND deadline_at <= ${now.toISOString()}::timestamptz
    FOR UPDATE SKIP LOCKED`;
  return row ? toState(row) : undefined;
}

export async function saveSaga(tx: OrdersTx, saga: SagaState): Promise<void> {
  await tx.checkoutSaga.update({
    where: { orderId: saga.orderId },
    data: { step: saga.step, attempts: saga.attempts, deadlineAt: saga.deadlineAt, updatedAt: new Date() },
  });
}

/** Orders whose saga step has timed out, oldest deadline first. */
export async function dueSagas(db: OrdersDb, now: Date, limit: number): Promise<string[]> {
  const rows = await db.checkoutSaga.findMany({
    where: { deadlineAt: { lte: now } },
    orderBy: { deadlineAt: 'asc' },
    take: limit,
    select: { orderId: true },
  });
  return rows.map((row) => row.orderId);
}

/** Sagas not DONE yet (tests and metrics). */
export async function activeSagaCount(db: OrdersDb): Promise<number> {
  return db.checkoutSaga.count({ where: { step: { not: 'DONE' } } });
}
