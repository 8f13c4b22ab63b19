/**
 * Issue 11, gap 8: every tradectl command prints the failure's own message, for updates, signals and queries
 * alike, through the real CLI entry point (main) against a real dev server. Only the workflow worker runs: the
 * portfolio answers updates and queries, and no cycle needs to finish.
 */
import { main } from '../../client/cli';
import { startPortfolio } from '../../client/tradingClient';
import { replayConfig, startTestStack, type TestStack } from '../helpers/testStack';

let stack: TestStack;
let portfolioId: string;
beforeAll(async () => {
  stack = await startTestStack();
  await stack.startWorkers(['workflows']);
  process.env.TEMPORAL_ADDRESS = stack.env.address;
  const config = replayConfig({ intervalMs: 3_600_000 });
  portfolioId = config.portfolioId;
  await startPortfolio(stack.env.client, config);
});
afterAll(async () => {
  await main(['node', 'tradectl', 'stop', '--portfolio', portfolioId]);
  await stack?.teardown();
});

/** Runs tradectl and returns its exit code and what it printed on stderr. */
async function tradectl(...args: string[]): Promise<{ code: number; printed: string }> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
  try {
    const code = await main(['node', 'tradectl', ...args]);
    return { code, printed: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('updates print the validator\'s reason', () => {
  it('set', async () => {
    const { code, printed } = await tradectl('set', '--portfolio', portfolioId, 'intervalMs=-5');
    expect(code).toBe(1);
    expect(printed).toBe('tradectl: intervalMs: Number must be greater than or equal to 1000 (InvalidConfig)');
  });

  it('set-risk', async () => {
    const { printed } = await tradectl('set-risk', '--portfolio', portfolioId, 'maxTotalExposure=0.97', 'cashBuffer=0.05');
    expect(printed).toBe('tradectl: risk.cashBuffer: maxTotalExposure + cashBuffer cannot exceed 1 (InvalidRiskLimits)');
  });
});

describe("signals and queries print the server's reason", () => {
  const missing = 'nobody-here';
  it.each([
    ['pause'], ['resume'], ['stop'], ['emergency-stop', '--confirm'], ['liquidate', '--confirm'], ['status'], ['risk'],
  ])('%s', async (...args) => {
    const { code, printed } = await tradectl(...args, '--portfolio', missing);
    expect(code).toBe(1);
    expect(printed).toBe(`tradectl: workflow not found for ID: portfolio-${missing}`);
  });
});
