-- CreateTable
CREATE TABLE "SignalOutcome" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "signalId" INTEGER NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "asOf" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "predicted" TEXT NOT NULL,
    "confidence" REAL NOT NULL,
    "horizonCandles" INTEGER NOT NULL,
    "threshold" REAL NOT NULL,
    "realisedReturn" REAL,
    "realised" TEXT,
    "hit" BOOLEAN,
    "detail" TEXT,
    "scoredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SignalOutcome_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RetrainingDecision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "candidateVersion" TEXT NOT NULL,
    "currentVersion" TEXT,
    "decision" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "margin" REAL NOT NULL,
    "candidateMetric" REAL,
    "currentMetric" REAL,
    "baselineMetric" REAL,
    "windowFrom" DATETIME,
    "windowTo" DATETIME,
    "windowRows" INTEGER NOT NULL,
    "evaluation" TEXT NOT NULL,
    "decidedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "SignalOutcome_signalId_key" ON "SignalOutcome"("signalId");

-- CreateIndex
CREATE INDEX "SignalOutcome_modelVersion_status_idx" ON "SignalOutcome"("modelVersion", "status");

-- CreateIndex
CREATE INDEX "SignalOutcome_portfolioId_asOf_idx" ON "SignalOutcome"("portfolioId", "asOf");

-- CreateIndex
CREATE INDEX "RetrainingDecision_decidedAt_idx" ON "RetrainingDecision"("decidedAt");
