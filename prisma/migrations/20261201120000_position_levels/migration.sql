-- AlterTable
ALTER TABLE "PositionSnapshot" ADD COLUMN "stopKind" TEXT;
ALTER TABLE "PositionSnapshot" ADD COLUMN "stopPrice" REAL;
ALTER TABLE "PositionSnapshot" ADD COLUMN "takeProfitPrice" REAL;
