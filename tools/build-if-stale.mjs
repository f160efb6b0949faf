// `npm start`'s prestart: compiles TypeScript only when a source is newer than the last build,
// so starting again after a configuration fix takes a second, not a rebuild. `npm start` itself
// then runs `node dist/src/main.js` directly, so the signals a supervisor sends reach the bot.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');
const sources = ['src', 'dev', 'bench', 'test/support', 'tsconfig.json', 'package-lock.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted or renamed file changes its folder
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const builtAt = existsSync(stamp) && existsSync(join(root, 'dist', 'src', 'main.js')) ? statSync(stamp).mtimeMs : 0;
const changedAt = Math.max(...sources.map((s) => newest(join(root, s))));
if (builtAt > 0 && changedAt <= builtAt) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(builtAt ? 'sources are newer than dist/ but TypeScript is not installed; running the existing build\n' : 'dist/ is missing and TypeScript is not installed: run `npm ci` (with dev dependencies) and `npm run build`\n');
  process.exit(builtAt ? 0 : 1);
}
process.stderr.write(builtAt ? 'sources changed since the last build: compiling…\n' : 'first start: compiling TypeScript into dist/…\n');
const started = Date.now();
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.stderr.write(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
