/**
 * `npm run dashboard`: the cockpit as its own process (the multi-machine deployment's `dashboard` service). It reads
 * the app database (DATABASE_URL) and asks the Temporal server at TEMPORAL_ADDRESS, connecting when it answers.
 */
import { temporalAddress } from '../client/tradingClient';
import { closeDatabases } from '../prisma/database';
import { startCockpit } from './server';
import { dashboardSettings, DashboardSettingsError } from './settings';
import { checkEnvironment, EnvironmentError } from '../domain/environment';

async function main(): Promise<void> {
  checkEnvironment(process.env, 'dashboard');
  const settings = dashboardSettings();
  const cockpit = await startCockpit({ settings, temporalAddress: temporalAddress() });
  console.log(`Trader cockpit on ${cockpit.url} (Temporal ${temporalAddress()}${settings.token || settings.basic ? ', credentials required' : ''})`);
  const stop = async () => {
    await cockpit.close();
    await closeDatabases();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof DashboardSettingsError || err instanceof EnvironmentError ? `cockpit refused to start: ${err.message}` : err instanceof Error ? err.message : err);
  process.exit(1);
});
