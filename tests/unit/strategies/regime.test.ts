import { parseStrategyConfig, prepareMarket, proposeAt, type RegimeReading } from '../../../domain/strategies';
import { binance, utc } from './realCandles';

const config = parseStrategyConfig({});

function readings(base: string, from: string, to: string): RegimeReading[] {
  const candles = binance(base, '1h');
  const market = prepareMarket({ [base]: candles }, '1h', config);
  return candles
    .filter((c) => c[0] >= utc(from) && c[0] < utc(to))
    .map((c) => proposeAt(market, c[0], { positions: {}, equity: 1, cash: 1 }, config).regime[base]);
}

describe('market regime and circuit breaker on real candles', () => {
  it('calls the May 19 2021 crash (BTC -13% in 24h by 10:00, -20% by 12:00) PANIC and high volatility', () => {
    const [at10, , at12] = readings('BTC', '2021-05-19T10:00', '2021-05-19T13:00');
    expect(at10.breaker).toBe('PANIC');
    expect(at10.change24h).toBeCloseTo(-0.131, 3);
    expect(at12).toMatchObject({ regime: 'high-volatility', breaker: 'PANIC' });
    expect(at12.volPercentile).toBe(1);
  });

  it('calls the quiet BTC range of 2023-08-05..15 (29k +-2%) ranging and never PANIC', () => {
    const r = readings('BTC', '2023-08-05T00:00', '2023-08-15T00:00');
    expect(r.filter((x) => x.regime === 'ranging').length / r.length).toBeGreaterThan(0.9);
    expect(r.some((x) => x.breaker === 'PANIC')).toBe(false);
  });

  it('calls the ETH rally of 2021-07-22..25 (+20%) trending up, every hour', () => {
    const r = readings('ETH', '2021-07-22T00:00', '2021-07-25T12:00');
    expect(r.length).toBe(84);
    expect(r.every((x) => x.regime === 'trending' && x.trendMove > 0)).toBe(true);
  });

  it('calls the ETF-rumour spike of 2023-10-24 00:00 (BTC +11% in 24h, RSI 87) EUPHORIA', () => {
    expect(readings('BTC', '2023-10-24T00:00', '2023-10-24T01:00')[0].breaker).toBe('EUPHORIA');
  });
});
