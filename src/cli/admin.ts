/**
 * Admin command line: `npm run admin -- <command> [--flags]` (built: node dist/src/cli/admin.js).
 * Commands live in modules beside this file (src/cli/admin/*.ts), each exporting
 * `commands: Record<string, AdminCommand>`; this dispatcher loads them all, opens the database
 * (MONGODB_URI, else the embedded one) and runs the one asked for.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectDatabase } from '../core/db/connection.js';
import { createModels, ensureIndexes } from '../core/db/models.js';
import { parseArgs, UsageError, type AdminCommand, type AdminContext } from './admin/command.js';
import { openDatabaseUri } from './open-database.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every command of every module in ./admin/. */
export async function loadCommands(dir = join(here, 'admin')): Promise<Record<string, AdminCommand>> {
  const all: Record<string, AdminCommand> = {};
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !/^(command|types)\.(js|ts)$/.test(f));
  for (const f of files.sort()) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { commands?: Record<string, AdminCommand | FlagCommand> };
    for (const [name, cmd] of Object.entries(mod.commands ?? {})) {
      if (all[name]) throw new Error(`admin command "${name}" is defined twice (${f})`);
      all[name] = 'describe' in cmd ? adapt(cmd) : cmd;
    }
  }
  return all;
}

/** Commands written against src/cli/admin/types.ts (one value per flag, no exit code). */
interface FlagCommand {
  describe: string;
  usage: string;
  run(flags: Record<string, string | true>, ctx: { models: AdminContext['models']; out(line: string): void }): Promise<void>;
}

function adapt(cmd: FlagCommand): AdminCommand {
  return {
    summary: cmd.describe,
    usage: cmd.usage,
    async run(args, ctx) {
      const flags = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v.at(-1) === 'true' ? (true as const) : v.at(-1)!]));
      try {
        await cmd.run(flags, { models: ctx.models, out: ctx.out });
      } catch (err) {
        // Both modules' usage errors mean "wrong command line" (exit 2).
        if (err instanceof Error && err.constructor.name === 'UsageError') throw new UsageError(err.message);
        throw err;
      }
    },
  };
}

/** Runs one command line against an open context; returns the exit code. */
export async function runAdmin(argv: readonly string[], ctx: AdminContext, commands?: Record<string, AdminCommand>): Promise<number> {
  const all = commands ?? (await loadCommands());
  const [name, ...rest] = argv;
  const cmd = name ? all[name] : undefined;
  if (!cmd) {
    ctx.out(name ? `unknown command "${name}"` : 'usage: npm run admin -- <command> [--flags]');
    for (const [n, c] of Object.entries(all).sort()) ctx.out(`  ${n.padEnd(18)} ${c.summary}`);
    return name ? 2 : 0;
  }
  try {
    return (await cmd.run(parseArgs(rest), ctx)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.out(`${name}: ${err.message}`);
      ctx.out(`usage: npm run admin -- ${cmd.usage}`);
      return 2;
    }
    throw err;
  }
}

async function main(): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const commands = await loadCommands();
  const argv = process.argv.slice(2);
  if (!argv[0] || !commands[argv[0]]) return runAdmin(argv, { models: undefined as never, env: process.env, now: () => new Date(), out }, commands);
  const { uri, embedded } = await openDatabaseUri(process.env, (m) => process.stderr.write(`${m}\n`));
  try {
    const db = await connectDatabase(uri);
    try {
      const models = createModels(db.conn);
      await ensureIndexes(models);
      return await runAdmin(argv, { models, env: process.env, now: () => new Date(), out }, commands);
    } finally {
      await db.close();
    }
  } finally {
    await embedded?.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
