-- CreateTable
CREATE TABLE "ExecutionIncident" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "portfolioId" TEXT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT,
    "clientOrderId" TEXT,
    "detail" TEXT NOT NULL,
    "evidence" TEXT,
    "detectedAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "ExecutionIncident_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExecutionIncident_key_key" ON "ExecutionIncident"("key");

-- CreateIndex
CREATE INDEX "ExecutionIncident_portfolioId_detectedAt_idx" ON "ExecutionIncident"("portfolioId", "detectedAt");

-- CreateIndex
CREATE INDEX "ExecutionIncident_kind_detectedAt_idx" ON "ExecutionIncident"("kind", "detectedAt");
