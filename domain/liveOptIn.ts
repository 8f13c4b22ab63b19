/**
 * The environment opt-in live trading needs, besides `tradectl start --live`: read by the execution worker (which
 * refuses live orders without it) and by the CLI. Its own module so the CLI names it without loading the broker.
 */
export const LIVE_OPT_IN_ENV = 'TRADER_LIVE_TRADING';
export const LIVE_OPT_IN_VALUE = 'i-accept-real-money-risk';
