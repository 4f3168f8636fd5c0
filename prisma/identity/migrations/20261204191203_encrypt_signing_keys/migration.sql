-- AlterTable
ALTER TABLE "signing_keys" ADD COLUMN     "private_key_encrypted" TEXT,
ADD COLUMN     "private_key_key_id" TEXT,
ADD COLUMN     "retired_at" TIMESTAMPTZ(3),
ALTER COLUMN "private_pem" DROP NOT NULL;
