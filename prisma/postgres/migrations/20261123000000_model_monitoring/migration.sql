-- CreateTable
CREATE TABLE "SignalOutcome" (
    "id" SERIAL NOT NULL,
    "signalId" INTEGER NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "predicted" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "horizonCandles" INTEGER NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "realisedReturn" DOUBLE PRECISION,
    "realised" TEXT,
    "hit" BOOLEAN,
    "detail" TEXT,
    "scoredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignalOutcome_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RetrainingDecision" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "candidateVersion" TEXT NOT NULL,
    "currentVersion" TEXT,
    "decision" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "margin" DOUBLE PRECISION NOT NULL,
    "candidateMetric" DOUBLE PRECISION,
    "currentMetric" DOUBLE PRECISION,
    "baselineMetric" DOUBLE PRECISION,
    "windowFrom" TIMESTAMP(3),
    "windowTo" TIMESTAMP(3),
    "windowRows" INTEGER NOT NULL,
    "evaluation" TEXT NOT NULL,
    "decidedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RetrainingDecision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SignalOutcome_signalId_key" ON "SignalOutcome"("signalId");

-- CreateIndex
CREATE INDEX "SignalOutcome_modelVersion_status_idx" ON "SignalOutcome"("modelVersion", "status");

-- CreateIndex
CREATE INDEX "SignalOutcome_portfolioId_asOf_idx" ON "SignalOutcome"("portfolioId", "asOf");

-- CreateIndex
CREATE INDEX "RetrainingDecision_decidedAt_idx" ON "RetrainingDecision"("decidedAt");

-- AddForeignKey
ALTER TABLE "SignalOutcome" ADD CONSTRAINT "SignalOutcome_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal"("id") ON DELETE CASCADE ON UPDATE CASCADE;
