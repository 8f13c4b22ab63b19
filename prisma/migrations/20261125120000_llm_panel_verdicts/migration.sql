-- AlterTable
ALTER TABLE "LlmVerdict" ADD COLUMN "consensus" TEXT;
ALTER TABLE "LlmVerdict" ADD COLUMN "prompt" TEXT;
ALTER TABLE "LlmVerdict" ADD COLUMN "promptHash" TEXT;
ALTER TABLE "LlmVerdict" ADD COLUMN "promptVersion" TEXT;
ALTER TABLE "LlmVerdict" ADD COLUMN "sampling" TEXT;

-- CreateTable
CREATE TABLE "LlmModelVerdict" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "verdictId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "weight" REAL NOT NULL,
    "approve" BOOLEAN NOT NULL,
    "confidence" REAL NOT NULL,
    "reason" TEXT NOT NULL,
    "fallback" BOOLEAN NOT NULL,
    "fallbackReason" TEXT,
    "sizeMultiplier" REAL NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "reused" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "LlmModelVerdict_verdictId_fkey" FOREIGN KEY ("verdictId") REFERENCES "LlmVerdict" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "LlmModelVerdict_model_idx" ON "LlmModelVerdict"("model");

-- CreateIndex
CREATE UNIQUE INDEX "LlmModelVerdict_verdictId_seq_key" ON "LlmModelVerdict"("verdictId", "seq");

-- CreateIndex
CREATE INDEX "LlmVerdict_promptHash_idx" ON "LlmVerdict"("promptHash");
