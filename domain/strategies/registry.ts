import { breakout } from './breakout';
import { channel } from './channel';
import type { StrategyConfig, StrategyName } from './config';
import { dcaGrid } from './dcaGrid';
import { meanReversion } from './meanReversion';
import { momentum } from './momentum';
import { smaCross } from './smaCross';
import type { Strategy } from './strategy';
import { swing } from './swing';

export const STRATEGIES: { [K in StrategyName]: Strategy<StrategyConfig[K]> } = {
  smaCross, momentum, meanReversion, breakout, dcaGrid, swing, channel,
};
