-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "payment_intents" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "amount" DECIMAL(12,2) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(32) NOT NULL,
    "payment_method" VARCHAR(64) NOT NULL,
    "provider_reference" TEXT,
    "failure_reason" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "payment_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_calls" (
    "id" UUID NOT NULL,
    "intent_id" UUID NOT NULL,
    "operation" VARCHAR(16) NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "provider_reference" TEXT,
    "error_code" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_calls_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_intents_order_id_key" ON "payment_intents"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "provider_calls_idempotency_key_key" ON "provider_calls"("idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "provider_calls_intent_id_operation_key" ON "provider_calls"("intent_id", "operation");

-- AddForeignKey
ALTER TABLE "provider_calls" ADD CONSTRAINT "provider_calls_intent_id_fkey" FOREIGN KEY ("intent_id") REFERENCES "payment_intents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: the payment rules hold whatever the code does.
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_status_check"
  CHECK ("status" IN ('requires_authorization', 'authorized', 'captured', 'voided', 'refunded', 'failed'));
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_amount_check" CHECK ("amount" > 0);
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_currency_check" CHECK ("currency" ~ '^[A-Z]{3}$');
-- a payment method token ("pm_card_ok"), never card data: no run of six or more digits can be stored
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_payment_method_check"
  CHECK ("payment_method" ~ '^pm_[a-z0-9_]+$' AND "payment_method" !~ '[0-9]{6,}');
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_failure_reason_check"
  CHECK (("status" = 'failed') = ("failure_reason" IS NOT NULL));
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_provider_reference_check"
  CHECK ("status" IN ('requires_authorization', 'failed') OR "provider_reference" IS NOT NULL);
ALTER TABLE "payment_intents" ADD CONSTRAINT "payment_intents_version_check" CHECK ("version" >= 0);
ALTER TABLE "provider_calls" ADD CONSTRAINT "provider_calls_operation_check"
  CHECK ("operation" IN ('authorize', 'capture', 'void', 'refund'));
ALTER TABLE "provider_calls" ADD CONSTRAINT "provider_calls_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed'));
ALTER TABLE "provider_calls" ADD CONSTRAINT "provider_calls_attempts_check" CHECK ("attempts" >= 0);
ALTER TABLE "provider_calls" ADD CONSTRAINT "provider_calls_idempotency_key_check"
  CHECK ("idempotency_key" = "intent_id"::text || ':' || "operation");
