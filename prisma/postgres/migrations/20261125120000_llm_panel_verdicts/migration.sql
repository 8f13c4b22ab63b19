-- AlterTable
ALTER TABLE "LlmVerdict" ADD COLUMN     "consensus" TEXT,
ADD COLUMN     "prompt" TEXT,
ADD COLUMN     "promptHash" TEXT,
ADD COLUMN     "promptVersion" TEXT,
ADD COLUMN     "sampling" TEXT;

-- CreateTable
CREATE TABLE "LlmModelVerdict" (
    "id" SERIAL NOT NULL,
    "verdictId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,
    "approve" BOOLEAN NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "reason" TEXT NOT NULL,
    "fallback" BOOLEAN NOT NULL,
    "fallbackReason" TEXT,
    "sizeMultiplier" DOUBLE PRECISION NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "reused" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "LlmModelVerdict_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LlmModelVerdict_model_idx" ON "LlmModelVerdict"("model");

-- CreateIndex
CREATE UNIQUE INDEX "LlmModelVerdict_verdictId_seq_key" ON "LlmModelVerdict"("verdictId", "seq");

-- CreateIndex
CREATE INDEX "LlmVerdict_promptHash_idx" ON "LlmVerdict"("promptHash");

-- AddForeignKey
ALTER TABLE "LlmModelVerdict" ADD CONSTRAINT "LlmModelVerdict_verdictId_fkey" FOREIGN KEY ("verdictId") REFERENCES "LlmVerdict"("id") ON DELETE CASCADE ON UPDATE CASCADE;
