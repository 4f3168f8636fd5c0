-- CreateTable
CREATE TABLE "partner_token_revocations" (
    "token_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_token_revocations_pkey" PRIMARY KEY ("token_id")
);

-- CreateIndex
CREATE INDEX "partner_token_revocations_revoked_at_idx" ON "partner_token_revocations"("revoked_at");
