import type { Models } from '../../core/db/models.js';

export type Flags = Record<string, string | true>;

export interface AdminContext {
  models: Models;
  /** One line of output (the last line of a command is what scripts read). */
  out(line: string): void;
}

export interface AdminCommand {
  /** One line for `npm run admin -- help`. */
  describe: string;
  usage: string;
  run(flags: Flags, ctx: AdminContext): Promise<void>;
}

export class UsageError extends Error {}

export function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v.trim();
}

/** `cmd --flag value --other=value --switch` → command and flags. */
export function parseArgs(argv: readonly string[]): { command?: string; flags: Flags } {
  const [command, ...rest] = argv;
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
    else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--')) flags[a.slice(2)] = rest[++i]!;
    else flags[a.slice(2)] = true;
  }
  return { command, flags };
}

