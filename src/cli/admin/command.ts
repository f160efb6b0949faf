import type { Models } from '../../core/db/models.js';

/** Parsed `--flag value` pairs (a flag given twice keeps both, in order); bare flags are "true". */
export type AdminArgs = Record<string, string[]>;

export interface AdminContext {
  models: Models;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** One line of output (stdout). */
  out: (line: string) => void;
}

/** One admin command (`npm run admin -- <name> [--flags]`); returns the exit code (0 when omitted). */
export interface AdminCommand {
  summary: string;
  usage: string;
  run(args: AdminArgs, ctx: AdminContext): Promise<number | void>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): AdminArgs {
  const args: AdminArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected "${a}" (flags are --name value)`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    else value = 'true';
    (args[name] ??= []).push(value);
  }
  return args;
}

export function one(args: AdminArgs, name: string): string | undefined {
  return args[name]?.at(-1);
}

export function required(args: AdminArgs, name: string): string {
  const v = one(args, name);
  if (!v || v === 'true') throw new UsageError(`--${name} is required`);
  return v;
}
