-- CreateTable
CREATE TABLE "ExecutionIncident" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "portfolioId" TEXT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT,
    "clientOrderId" TEXT,
    "detail" TEXT NOT NULL,
    "evidence" TEXT,
    "detectedAt" DATETIME NOT NULL,
    "resolvedAt" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "ExecutionIncident_key_key" ON "ExecutionIncident"("key");

-- CreateIndex
CREATE INDEX "ExecutionIncident_portfolioId_detectedAt_idx" ON "ExecutionIncident"("portfolioId", "detectedAt");

-- CreateIndex
CREATE INDEX "ExecutionIncident_kind_detectedAt_idx" ON "ExecutionIncident"("kind", "detectedAt");
