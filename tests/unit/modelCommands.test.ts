import { buildCli } from '../../client/cli';

describe('tradectl retrain arguments', () => {
  function cli() {
    const errors: string[] = [];
    const program = buildCli(() => undefined, (l) => errors.push(l));
    program.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    for (const sub of program.commands) sub.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined }).exitOverride();
    return { program, errors };
  }

  it('refuses a bad profile, margin or interval before contacting anything, naming the problem', async () => {
    const { program, errors } = cli();
    await expect(program.parseAsync(['node', 'tradectl', 'retrain', '--profile', 'huge'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(program.parseAsync(['node', 'tradectl', 'retrain', '--min-improvement', '2'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(program.parseAsync(['node', 'tradectl', 'retrain', '--every', 'soon'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(errors.join('')).toMatch(/'huge' is not a profile: use full or quick/);
    expect(errors.join('')).toMatch(/'2' is not a log-loss difference in \[0, 1\)/);
    expect(errors.join('')).toMatch(/'soon' is not an interval of at least a minute/);
  });

  it('refuses a bad data slice with the reason, before connecting to Temporal', async () => {
    const { program } = cli();
    await expect(program.parseAsync(['node', 'tradectl', 'retrain', '--now', '--symbols', 'BTC,E-TH', '--from', '2023-13'])).rejects.toThrow(
      'invalid retraining options: symbols must be a non-empty list of base assets in capitals, e.g. ["BTC", "ETH"]; from must be a UTC date such as 2023-06-01 or 2023-06-01T00:00Z',
    );
  });
});
