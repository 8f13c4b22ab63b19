-- AlterTable
ALTER TABLE "Cycle" ADD COLUMN "strategyReport" TEXT;
