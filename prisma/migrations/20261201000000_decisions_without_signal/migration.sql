-- AlterTable
ALTER TABLE "Cycle" ADD COLUMN "decisionsWithoutSignal" TEXT;
