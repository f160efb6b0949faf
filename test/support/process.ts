import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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
export function runProgram(main: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [main, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'pipe' });
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
