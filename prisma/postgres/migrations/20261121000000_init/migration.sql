-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Cycle" (
    "id" TEXT NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "cycleNo" INTEGER NOT NULL,
    "mode" TEXT NOT NULL,
    "marketSource" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "equity" DOUBLE PRECISION NOT NULL,
    "cash" DOUBLE PRECISION NOT NULL,
    "realizedPnlToday" DOUBLE PRECISION NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Cycle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Signal" (
    "id" SERIAL NOT NULL,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "direction" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "probabilities" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "lastPrice" DOUBLE PRECISION,
    "features" TEXT,

    CONSTRAINT "Signal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LlmVerdict" (
    "id" SERIAL NOT NULL,
    "signalId" INTEGER NOT NULL,
    "approve" BOOLEAN NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "reason" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "fallback" BOOLEAN NOT NULL,
    "fallbackReason" TEXT,
    "sizeMultiplier" DOUBLE PRECISION NOT NULL,
    "latencyMs" INTEGER NOT NULL,

    CONSTRAINT "LlmVerdict_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RiskDecision" (
    "id" SERIAL NOT NULL,
    "signalId" INTEGER NOT NULL,
    "side" TEXT NOT NULL,
    "approved" BOOLEAN NOT NULL,
    "quantity" DOUBLE PRECISION NOT NULL,
    "price" DOUBLE PRECISION NOT NULL,
    "notional" DOUBLE PRECISION NOT NULL,
    "rules" TEXT NOT NULL,
    "orderId" TEXT,

    CONSTRAINT "RiskDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" TEXT NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "marketSource" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "requestedQuantity" DOUBLE PRECISION NOT NULL,
    "filledQuantity" DOUBLE PRECISION NOT NULL,
    "avgPrice" DOUBLE PRECISION NOT NULL,
    "fee" DOUBLE PRECISION NOT NULL,
    "referencePrice" DOUBLE PRECISION,
    "rejectReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Fill" (
    "id" SERIAL NOT NULL,
    "orderId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "price" DOUBLE PRECISION NOT NULL,
    "quantity" DOUBLE PRECISION NOT NULL,
    "fee" DOUBLE PRECISION NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Fill_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PositionSnapshot" (
    "id" SERIAL NOT NULL,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "quantity" DOUBLE PRECISION NOT NULL,
    "avgPrice" DOUBLE PRECISION NOT NULL,
    "marketPrice" DOUBLE PRECISION,

    CONSTRAINT "PositionSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EquitySnapshot" (
    "id" SERIAL NOT NULL,
    "cycleId" TEXT NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL,
    "cash" DOUBLE PRECISION NOT NULL,
    "equity" DOUBLE PRECISION NOT NULL,
    "exposure" DOUBLE PRECISION NOT NULL,
    "realizedPnlToday" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "EquitySnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Cycle_portfolioId_startedAt_idx" ON "Cycle"("portfolioId", "startedAt");

-- CreateIndex
CREATE INDEX "Cycle_portfolioId_cycleNo_idx" ON "Cycle"("portfolioId", "cycleNo");

-- CreateIndex
CREATE UNIQUE INDEX "Signal_cycleId_symbol_key" ON "Signal"("cycleId", "symbol");

-- CreateIndex
CREATE UNIQUE INDEX "LlmVerdict_signalId_key" ON "LlmVerdict"("signalId");

-- CreateIndex
CREATE UNIQUE INDEX "RiskDecision_signalId_key" ON "RiskDecision"("signalId");

-- CreateIndex
CREATE UNIQUE INDEX "RiskDecision_orderId_key" ON "RiskDecision"("orderId");

-- CreateIndex
CREATE INDEX "Order_portfolioId_createdAt_idx" ON "Order"("portfolioId", "createdAt");

-- CreateIndex
CREATE INDEX "Order_cycleId_idx" ON "Order"("cycleId");

-- CreateIndex
CREATE UNIQUE INDEX "Fill_orderId_seq_key" ON "Fill"("orderId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "PositionSnapshot_cycleId_symbol_key" ON "PositionSnapshot"("cycleId", "symbol");

-- CreateIndex
CREATE UNIQUE INDEX "EquitySnapshot_cycleId_key" ON "EquitySnapshot"("cycleId");

-- CreateIndex
CREATE INDEX "EquitySnapshot_portfolioId_timestamp_idx" ON "EquitySnapshot"("portfolioId", "timestamp");

-- AddForeignKey
ALTER TABLE "Signal" ADD CONSTRAINT "Signal_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LlmVerdict" ADD CONSTRAINT "LlmVerdict_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskDecision" ADD CONSTRAINT "RiskDecision_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskDecision" ADD CONSTRAINT "RiskDecision_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Fill" ADD CONSTRAINT "Fill_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PositionSnapshot" ADD CONSTRAINT "PositionSnapshot_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EquitySnapshot" ADD CONSTRAINT "EquitySnapshot_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle"("id") ON DELETE CASCADE ON UPDATE CASCADE;

