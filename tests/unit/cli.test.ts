import { buildCli, parseAssignments } from '../../client/cli';

describe('tradectl arguments', () => {
  it('turns key=value pairs into a nested setConfig patch', () => {
    expect(parseAssignments(['risk.maxAssetWeight=0.1', 'intervalMs=30000', 'llm.model=qwen2.5:7b'])).toEqual({
      risk: { maxAssetWeight: 0.1 }, intervalMs: 30000, llm: { model: 'qwen2.5:7b' },
    });
    expect(() => parseAssignments(['risk.maxAssetWeight'])).toThrow("'risk.maxAssetWeight' is not key=value (e.g. risk.maxAssetWeight=0.1)");
  });

  it('refuses bad options before contacting anything, naming the problem', async () => {
    const errors: string[] = [];
    const cli = buildCli(() => undefined, (l) => errors.push(l));
    cli.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    for (const sub of cli.commands) sub.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined }).exitOverride();
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--interval', 'soon'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/'soon' is not a duration/);
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--symbols', 'btc-usdt'])).rejects.toThrow(
      'invalid configuration: symbols.0: expected BASE/QUOTE in capitals, e.g. BTC/USDT',
    );
    await expect(cli.parseAsync(['node', 'tradectl', 'start', '--live'])).rejects.toThrow(/--live needs TRADER_LIVE_TRADING=i-accept-real-money-risk/);
  });
});
