/**
 * What "fraction" means in a configuration, in one place: the portfolio's schema (./config.ts) and the strategies'
 * (./strategies/config.ts) once used the same word for [0, 1] and for (0, 1). Each field names the one it takes.
 */
import { z } from 'zod';

/** A share from none to all, both ends allowed: a cash buffer of 0, a confidence threshold of 1. */
export const fraction = z.number().min(0).max(1);
/** A share that cannot be nothing: a weight or a limit of 0 would forbid everything. */
export const positiveFraction = z.number().gt(0).max(1);
/** A share strictly between nothing and all: a price distance (a stop, a target, a band) of 0 or 100% means nothing. */
export const openFraction = z.number().gt(0).lt(1);
