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
