-- CreateTable
CREATE TABLE "Cycle" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "portfolioId" TEXT NOT NULL,
    "cycleNo" INTEGER NOT NULL,
    "mode" TEXT NOT NULL,
    "marketSource" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "error" TEXT,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "equity" REAL NOT NULL,
    "cash" REAL NOT NULL,
    "realizedPnlToday" REAL NOT NULL,
    "recordedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Signal" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "asOf" DATETIME NOT NULL,
    "direction" TEXT NOT NULL,
    "confidence" REAL NOT NULL,
    "probabilities" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "lastPrice" REAL,
    "features" TEXT,
    CONSTRAINT "Signal_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LlmVerdict" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "signalId" INTEGER NOT NULL,
    "approve" BOOLEAN NOT NULL,
    "confidence" REAL NOT NULL,
    "reason" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "fallback" BOOLEAN NOT NULL,
    "fallbackReason" TEXT,
    "sizeMultiplier" REAL NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    CONSTRAINT "LlmVerdict_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RiskDecision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "signalId" INTEGER NOT NULL,
    "side" TEXT NOT NULL,
    "approved" BOOLEAN NOT NULL,
    "quantity" REAL NOT NULL,
    "price" REAL NOT NULL,
    "notional" REAL NOT NULL,
    "rules" TEXT NOT NULL,
    "orderId" TEXT,
    CONSTRAINT "RiskDecision_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RiskDecision_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Order" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "portfolioId" TEXT NOT NULL,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "marketSource" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "requestedQuantity" REAL NOT NULL,
    "filledQuantity" REAL NOT NULL,
    "avgPrice" REAL NOT NULL,
    "fee" REAL NOT NULL,
    "referencePrice" REAL,
    "rejectReason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Fill" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "orderId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "price" REAL NOT NULL,
    "quantity" REAL NOT NULL,
    "fee" REAL NOT NULL,
    "timestamp" DATETIME NOT NULL,
    CONSTRAINT "Fill_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PositionSnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cycleId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "quantity" REAL NOT NULL,
    "avgPrice" REAL NOT NULL,
    "marketPrice" REAL,
    CONSTRAINT "PositionSnapshot_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EquitySnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "cycleId" TEXT NOT NULL,
    "portfolioId" TEXT NOT NULL,
    "timestamp" DATETIME NOT NULL,
    "cash" REAL NOT NULL,
    "equity" REAL NOT NULL,
    "exposure" REAL NOT NULL,
    "realizedPnlToday" REAL NOT NULL,
    CONSTRAINT "EquitySnapshot_cycleId_fkey" FOREIGN KEY ("cycleId") REFERENCES "Cycle" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

