/**
 * `netsprout serve [--port N] [--host 127.0.0.1]`: the app's services and UI for a browser, on this machine only.
 * Prints exactly one line, the address with its access token; errors go to stderr. Ctrl-C pauses running jobs
 * (resumable) and stops. Reached from bin/netsprout.mjs, which sends `serve` here and everything else to the engine's
 * CLI, so the engine never imports the app.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NetSproutError } from '../../engine/errors.js';
import { defaultDataFolder } from '../services/appLocations.js';
import { AppServices, appVersion } from '../services/appServices.js';
import { LOOPBACK_HOSTS, startAppServer } from './appServer.js';

const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `Usage: netsprout serve [--port N] [--host 127.0.0.1]

Runs NetSprout's app for a web browser on this machine: open the printed address (it carries the access token).
  --port N     the port (default: a free one)
  --host H     127.0.0.1 (default), ::1 or localhost; the server never listens beyond this machine
Data folder: ${defaultDataFolder()} (NETSPROUT_HOME overrides it).
`;

function fail(e: unknown): never {
  if (e instanceof NetSproutError) process.stderr.write(`NetSprout could not start: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
  else process.stderr.write(`NetSprout could not start: ${(e as Error).message ?? e}\n`);
  if (process.env.NETSPROUT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(new NetSproutError('CLI_BAD_OPTION', `--port must be a whole number from 0 to 65535, got "${values.port}".`, 'For example --port 8765 (0 picks a free one).'));
  const host = values.host ?? '127.0.0.1';
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) {
    fail(new NetSproutError('CLI_BAD_OPTION', `--host ${host} is refused: NetSprout serves this machine only.`, 'Use 127.0.0.1; to reach it from another computer, forward the port over SSH (ssh -L).'));
  }
  let services: AppServices;
  try {
    services = await AppServices.create({ home: defaultDataFolder(), appRoot: APP_ROOT, platform: { mode: 'browser' }, version: appVersion(APP_ROOT) });
  } catch (e) {
    fail(e);
  }
  const token = randomBytes(24).toString('base64url');
  let running;
  try {
    running = await startAppServer({ api: services, token, rendererDir: services.locations.rendererDir, host, port });
  } catch (e) {
    await services.close();
    const code = (e as NodeJS.ErrnoException).code;
    fail(code === 'EADDRINUSE' ? new NetSproutError('PORT_IN_USE', `Port ${port} is in use.`, 'Choose another with --port, or leave it out to pick a free one.') : e);
  }
  process.stdout.write(`NetSprout is running at ${running.url}\n`);
  services.warmUp();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.close();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

await main(process.argv.slice(3));
