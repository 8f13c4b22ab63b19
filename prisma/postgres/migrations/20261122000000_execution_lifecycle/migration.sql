-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "exchangeId" TEXT,
ADD COLUMN     "exchangeOrderId" TEXT,
ADD COLUMN     "limitPrice" DOUBLE PRECISION,
ADD COLUMN     "placedAt" TIMESTAMP(3),
ADD COLUMN     "stopPrice" DOUBLE PRECISION,
ADD COLUMN     "timeInForceMs" INTEGER;

-- CreateTable
CREATE TABLE "BalanceDrift" (
    "id" SERIAL NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "cycleId" TEXT,
    "mode" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "symbol" TEXT,
    "bookQuantity" DOUBLE PRECISION NOT NULL,
    "accountQuantity" DOUBLE PRECISION NOT NULL,
    "drift" DOUBLE PRECISION NOT NULL,
    "corrected" BOOLEAN NOT NULL,
    "detectedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BalanceDrift_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BalanceDrift_portfolioId_detectedAt_idx" ON "BalanceDrift"("portfolioId", "detectedAt");
