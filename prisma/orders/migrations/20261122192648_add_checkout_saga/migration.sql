-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "failure_reason" TEXT;

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "stream" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbox_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_events_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "checkout_sagas" (
    "order_id" UUID NOT NULL,
    "step" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "deadline_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkout_sagas_pkey" PRIMARY KEY ("order_id")
);

-- CreateIndex
CREATE INDEX "outbox_events_published_at_seq_idx" ON "outbox_events"("published_at", "seq");

-- CreateIndex
CREATE INDEX "checkout_sagas_deadline_at_idx" ON "checkout_sagas"("deadline_at");

-- Added by hand (Prisma has no check constraints): the saga's steps.
ALTER TABLE "checkout_sagas" ADD CONSTRAINT "checkout_sagas_step_check"
    CHECK ("step" IN ('RESERVING_STOCK', 'AUTHORIZING_PAYMENT', 'COMMITTING_STOCK', 'CAPTURING_PAYMENT', 'DONE'));
