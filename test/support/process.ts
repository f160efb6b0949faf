import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';

/** A port nothing listens on right now (for a child process to take). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  /** Resolves with the match once the output (stdout + stderr) shows it; throws on exit or timeout. */
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpExecArray>;
}

/** Runs the built program (`node <main> ...args`) with only PATH and `env` in its environment. */
export function runProgram(main: string, args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Run {
  // Not the project folder by default: a developer's .env there must not leak into the test.
  return runCommand(process.execPath, [main, ...args], env, { cwd: opts.cwd ?? tmpdir() });
}

/** Runs any command with only PATH and `env` in its environment (e.g. `npm start`). */
export function runCommand(command: string, args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Run {
  const child = spawn(command, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'pipe', cwd: opts.cwd });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    exited,
    async waitFor(re, ms = 20_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (Date.now() > end || child.exitCode !== null) throw new Error(`did not see ${re} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
