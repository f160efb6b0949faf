import { join, resolve } from 'node:path';
import { connectDatabase } from '../core/db/connection.js';
import { createModels, ensureIndexes } from '../core/db/models.js';
import { projectRoot } from '../core/paths.js';
import { isProduction } from '../config/mode.js';
import { commands as tokenCommands } from './admin/tokens.js';
import { parseArgs, UsageError, type AdminCommand } from './admin/types.js';

/**
 * `npm run admin -- <command> [--flag value]…`: operators' commands over the same database as
 * the bot (MONGODB_URI; without it, outside production, the local embedded database in DATA_DIR).
 * Commands live in src/cli/admin/*.ts, each exporting `commands`.
 */
const registry: Record<string, AdminCommand> = { ...tokenCommands };

function help(): string {
  return ['usage: npm run admin -- <command> [--flags]', ...Object.values(registry).map((c) => `  ${c.usage}\n      ${c.describe}`)].join('\n');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${help()}\n`);
    return 2;
  }
  const cmd = parsed.command ? registry[parsed.command] : undefined;
  if (!cmd) {
    process.stderr.write(`${parsed.command && parsed.command !== 'help' ? `unknown command "${parsed.command}"\n` : ''}${help()}\n`);
    return parsed.command === 'help' ? 0 : 2;
  }
  let uri = process.env.MONGODB_URI?.trim();
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!uri) {
    if (isProduction(process.env)) {
      process.stderr.write('MONGODB_URI is required\n');
      return 2;
    }
    const { startEmbeddedDatabase } = await import('../../dev/embedded-db.js');
    const embedded = await startEmbeddedDatabase({
      dataDir: resolve(projectRoot, process.env.DATA_DIR ?? '.data'),
      cacheDir: join(projectRoot, '.cache'),
      projectRoot,
      onLog: () => undefined,
    });
    uri = embedded.uri;
    stopEmbedded = () => embedded.stop();
  }
  const db = await connectDatabase(uri);
  try {
    const models = createModels(db.conn);
    await ensureIndexes({ ApiToken: models.ApiToken });
    await cmd.run(parsed.flags, { models, out: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof UsageError ? `${err.message}\nusage: npm run admin -- ${cmd.usage}` : (err as Error).message}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await db.close();
    await stopEmbedded?.();
  }
}

void main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
