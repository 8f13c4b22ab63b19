-- AlterTable
ALTER TABLE "Order" ADD COLUMN "exchangeId" TEXT;
ALTER TABLE "Order" ADD COLUMN "exchangeOrderId" TEXT;
ALTER TABLE "Order" ADD COLUMN "limitPrice" REAL;
ALTER TABLE "Order" ADD COLUMN "placedAt" DATETIME;
ALTER TABLE "Order" ADD COLUMN "stopPrice" REAL;
ALTER TABLE "Order" ADD COLUMN "timeInForceMs" INTEGER;

-- CreateTable
CREATE TABLE "BalanceDrift" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "portfolioId" TEXT NOT NULL,
    "cycleId" TEXT,
    "mode" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "symbol" TEXT,
    "bookQuantity" REAL NOT NULL,
    "accountQuantity" REAL NOT NULL,
    "drift" REAL NOT NULL,
    "corrected" BOOLEAN NOT NULL,
    "detectedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "BalanceDrift_portfolioId_detectedAt_idx" ON "BalanceDrift"("portfolioId", "detectedAt");
