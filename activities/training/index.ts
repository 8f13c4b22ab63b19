/** Activities of the `training` task queue: the retraining workflow's steps (workflows/retraining.ts). */
export { trainCandidate, type TrainCandidateInput, type TrainCandidateResult } from './trainCandidate';
export { evaluateCandidate, type EvaluateCandidateInput } from './evaluateCandidate';
export { promoteModel, recordRetrainingDecision, type PromoteModelInput, type PromoteModelResult, type RetrainingRecord } from './promotion';
