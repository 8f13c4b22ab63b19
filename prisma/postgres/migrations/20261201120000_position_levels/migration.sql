-- AlterTable
ALTER TABLE "PositionSnapshot" ADD COLUMN     "stopKind" TEXT,
ADD COLUMN     "stopPrice" DOUBLE PRECISION,
ADD COLUMN     "takeProfitPrice" DOUBLE PRECISION;
