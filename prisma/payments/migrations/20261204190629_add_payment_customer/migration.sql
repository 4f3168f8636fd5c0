-- The buyer, from the saga's authorize command. Null for intents made before: only admins see those (payments cannot
-- look the buyer up: orders owns it).
-- AlterTable
ALTER TABLE "payment_intents" ADD COLUMN     "customer_id" UUID;
