/** The records port: what makes every decision explainable afterwards, and the scoring of signals that matured. */
import type { CycleRecord } from '../types';

export interface ScoreMatureSignalsInput {
  portfolioId: string;
  /** Most signals scored per call (oldest first); the next call continues. */
  limit?: number;
}

export interface ScoreMatureSignalsResult {
  scored: number;
  unscorable: number;
  /** Versions whose manifest this worker's registry lacks: their signals stay pending. */
  unknownVersions: string[];
}

export interface RecordPort {
  recordCycle(record: CycleRecord): Promise<{ cycleId: string }>;
}

export interface MonitoringPort {
  scoreMatureSignals(input: ScoreMatureSignalsInput): Promise<ScoreMatureSignalsResult>;
}
