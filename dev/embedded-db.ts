/**
 * Embedded MongoDB-compatible database for development and tests.
 *
 * Resolution order:
 *   1. a `mongod` on PATH (data in `<dataDir>/mongod`);
 *   2. a `ferretdb` on PATH or at `<cacheDir>/bin/ferretdb` (FerretDB 1.x, SQLite backend,
 *      data in `<dataDir>/ferretdb/`);
 *   3. if `go` is on PATH: build the wrapper in `<projectRoot>/tools/ferretdb` into
 *      `<cacheDir>/bin/ferretdb`, then run it as in 2;
 *   4. `mongodb-memory-server-core`, if installed (optional; downloads a mongod on first use).
 *
 * Data persists in `dataDir` across restarts. The child process is killed on `stop()` and,
 * if `stop()` was never called, when the parent exits (normal exit, SIGINT, SIGTERM, SIGHUP).
 * A SIGKILL of the parent cannot be intercepted; the child would then be left running.
 *
 * FerretDB caveat (kind === 'ferretdb'): updates of one document arriving on different connections
 * at the same time are not atomic (lost $inc, double compare-and-set winners, double queue claims).
 * Talk to it through a single connection (maxPoolSize: 1) from a single process. Full list of what
 * FerretDB 1.24.2 does and does not support: the comment at the top of test/core/embedded-db.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mongoose from 'mongoose';

export type EmbeddedKind = 'mongod' | 'ferretdb' | 'mongodb-memory-server';

export interface EmbeddedDatabase {
  uri: string;
  kind: EmbeddedKind;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  cacheDir: string;
  projectRoot: string;
  port?: number;
  onLog?: (msg: string) => void;
}

const START_TIMEOUT_MS = 30_000;
const BUILD_TIMEOUT_MS = 5 * 60_000;
const STOP_GRACE_MS = 10_000;
const TAIL_LINES = 20;
/** Toolchain to ask for when the local Go is too old for tools/ferretdb/go.mod. */
const FALLBACK_GO_TOOLCHAIN = 'go1.24.3';

export async function startEmbeddedDatabase(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const cacheDir = path.resolve(opts.cacheDir);
  const projectRoot = path.resolve(opts.projectRoot);
  const log = opts.onLog ?? (() => {});

  const mongod = await which('mongod');
  if (mongod) return startMongod(mongod, dataDir, opts.port, log);

  let ferret = (await which('ferretdb')) ?? null;
  const cachedBinary = path.join(cacheDir, 'bin', 'ferretdb');
  const wrapperDir = path.join(projectRoot, 'tools', 'ferretdb');
  if (!ferret) {
    const go = await which('go');
    const haveCached = await isExecutable(cachedBinary);
    if (go && (await exists(path.join(wrapperDir, 'main.go')))) {
      if (!haveCached || (await sourcesNewerThan(wrapperDir, cachedBinary))) {
        await buildFerretDB(go, wrapperDir, cachedBinary, log);
      }
      ferret = cachedBinary;
    } else if (haveCached) {
      ferret = cachedBinary;
    }
  }
  if (ferret) return startFerretDB(ferret, dataDir, wrapperDir, opts.port, log);

  return startMemoryServer(dataDir, opts.port, log);
}

// ---------------------------------------------------------------------------------------------
// mongod

async function startMongod(
  binary: string,
  dataDir: string,
  port: number | undefined,
  log: (msg: string) => void,
): Promise<EmbeddedDatabase> {
  const dbPath = path.join(dataDir, 'mongod');
  await mkdir(dbPath, { recursive: true });
  const { child, uri, port: usedPort } = await spawnServer({
    label: 'mongod',
    binary,
    fixedPort: port,
    args: (p) => ['--dbpath', dbPath, '--bind_ip', '127.0.0.1', '--port', String(p)],
    readyLine: /Waiting for connections|waiting for connections/,
  });
  const version = await serverVersion(uri);
  log(
    `embedded database: mongod ${version ?? ''}`.trimEnd() +
      ` at mongodb://127.0.0.1:${usedPort}, data in ${displayPath(dbPath)}`,
  );
  return { uri, kind: 'mongod', stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------
// FerretDB

async function startFerretDB(
  binary: string,
  dataDir: string,
  wrapperDir: string,
  port: number | undefined,
  log: (msg: string) => void,
): Promise<EmbeddedDatabase> {
  const sqliteDir = path.join(dataDir, 'ferretdb');
  await mkdir(sqliteDir, { recursive: true });
  // pathToFileURL percent-encodes odd characters; FerretDB decodes them (url.Parse).
  // synchronous(normal) in WAL mode: a commit survives the process crashing but skips the fsync
  // per write (only a power cut can lose the last commits) — the embedded database is for local
  // use and tests; production runs on MONGODB_URI. It makes writes about ten times faster here.
  const sqliteUrl = `${pathToFileURL(sqliteDir + path.sep).href}?_pragma=synchronous(normal)`;
  const { child, uri, port: usedPort } = await spawnServer({
    label: 'FerretDB',
    binary,
    fixedPort: port,
    args: (p) => [
      '--listen-addr',
      `127.0.0.1:${p}`,
      '--sqlite-url',
      sqliteUrl,
      '--log-level',
      'warn',
    ],
    readyLine: /^ferretdb listening on /,
  });
  const version = await ferretVersion(wrapperDir);
  log(
    `embedded database: FerretDB${version ? ` ${version}` : ''} (SQLite) at mongodb://127.0.0.1:${usedPort}, ` +
      `data in ${displayPath(sqliteDir)}`,
  );
  return { uri, kind: 'ferretdb', stop: () => stopChild(child) };
}

async function ferretVersion(wrapperDir: string): Promise<string | null> {
  try {
    const gomod = await readFile(path.join(wrapperDir, 'go.mod'), 'utf8');
    const m = /github\.com\/FerretDB\/FerretDB\s+v(\S+)/.exec(gomod);
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

async function sourcesNewerThan(dir: string, binary: string): Promise<boolean> {
  try {
    const bin = await stat(binary);
    for (const f of ['main.go', 'go.mod', 'go.sum']) {
      const s = await stat(path.join(dir, f)).catch(() => null);
      if (s && s.mtimeMs > bin.mtimeMs) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * Builds tools/ferretdb into `target`. Several processes (e.g. parallel test runs) may get here
 * at once: one holds `<target>.lock` (created with O_EXCL, containing its pid) while the others
 * wait for it to go away. The binary is written to a temporary name and renamed into place, so
 * nobody ever runs a half-written file.
 */
async function buildFerretDB(
  go: string,
  wrapperDir: string,
  target: string,
  log: (msg: string) => void,
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const lockPath = `${target}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS + 30_000;
  const startedWithBinary = await isExecutable(target);

  let announcedWait = false;
  for (;;) {
    const lock = await open(lockPath, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return null;
      throw err;
    });
    if (lock) {
      try {
        await lock.writeFile(String(process.pid));
        await lock.close();
        // Someone else may have finished while we were waiting for the lock.
        if (!startedWithBinary && (await isExecutable(target))) return;
        if (startedWithBinary && !(await sourcesNewerThan(wrapperDir, target))) return;
        await runGoBuild(go, wrapperDir, target, log);
        return;
      } finally {
        await rm(lockPath, { force: true });
      }
    }
    if (await lockIsStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (!announcedWait) {
      announcedWait = true;
      log(`embedded database: another process is building FerretDB (${displayPath(lockPath)}), waiting…`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `embedded database: timed out waiting for another process to build FerretDB ` +
          `(lock file ${lockPath}; delete it if no build is running)`,
      );
    }
    await sleep(500);
  }
}

async function lockIsStale(lockPath: string): Promise<boolean> {
  try {
    const [content, st] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number.parseInt(content, 10);
    if (Number.isFinite(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      }
    } else if (Date.now() - st.mtimeMs > 5_000) {
      return true; // never got its pid written
    }
    return Date.now() - st.mtimeMs > BUILD_TIMEOUT_MS + 60_000;
  } catch {
    return false; // vanished meanwhile: the loop retries the open
  }
}

async function runGoBuild(
  go: string,
  wrapperDir: string,
  target: string,
  log: (msg: string) => void,
): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const started = Date.now();
  log(`embedded database: building FerretDB from ${displayPath(wrapperDir)} (first time can take a few minutes)…`);
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GOFLAGS: [process.env['GOFLAGS'], '-mod=mod'].filter(Boolean).join(' '),
  };
  try {
    let result = await runCommand(go, ['build', '-o', tmp, '.'], wrapperDir, baseEnv, BUILD_TIMEOUT_MS);
    if (result.code !== 0 && needsNewerToolchain(result.output)) {
      log(`embedded database: local Go is too old, retrying with GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}`);
      result = await runCommand(
        go,
        ['build', '-o', tmp, '.'],
        wrapperDir,
        { ...baseEnv, GOTOOLCHAIN: FALLBACK_GO_TOOLCHAIN },
        BUILD_TIMEOUT_MS - (Date.now() - started),
      );
    }
    if (result.code !== 0) {
      throw new Error(
        `embedded database: building FerretDB failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}):\n` +
          tail(result.output),
      );
    }
    await rename(tmp, target);
    log(`embedded database: built ${displayPath(target)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await rm(tmp, { force: true });
  }
}

function needsNewerToolchain(output: string): boolean {
  // e.g. "go: go.mod requires go >= 1.24 (running go 1.22.1; GOTOOLCHAIN=local)"
  return /requires go\s*>=|requires a newer go|newer go toolchain/i.test(output);
}

// ---------------------------------------------------------------------------------------------
// mongodb-memory-server (optional dependency, not installed by default)

interface MemoryServerLike {
  getUri(): string;
  stop(opts?: { doCleanup?: boolean; force?: boolean }): Promise<boolean>;
}
interface MemoryServerModule {
  MongoMemoryServer: {
    create(opts: {
      instance: { dbPath: string; port?: number; ip?: string; storageEngine?: string };
    }): Promise<MemoryServerLike>;
  };
}

async function startMemoryServer(
  dataDir: string,
  port: number | undefined,
  log: (msg: string) => void,
): Promise<EmbeddedDatabase> {
  const moduleName = 'mongodb-memory-server-core';
  let mod: MemoryServerModule;
  try {
    mod = (await import(moduleName)) as MemoryServerModule;
  } catch (err) {
    throw new Error(
      'embedded database: no database available. Tried, in order: `mongod` on PATH, `ferretdb` on PATH ' +
        'or in the cache directory, building FerretDB with `go` (not on PATH), and the optional package ' +
        `${moduleName} (not installed: ${(err as Error).message.split('\n')[0]}). Fix one of: set MONGODB_URI ` +
        'to an existing server; install Go (>= 1.24) so the FerretDB wrapper in tools/ferretdb can be built; ' +
        `put mongod or ferretdb on PATH; or \`npm install --save-optional ${moduleName}\` ` +
        '(downloads a mongod binary from fastdl.mongodb.org on first use).',
    );
  }
  const dbPath = path.join(dataDir, 'mongodb-memory-server');
  await mkdir(dbPath, { recursive: true });
  const server = await mod.MongoMemoryServer.create({
    instance: { dbPath, ip: '127.0.0.1', storageEngine: 'wiredTiger', ...(port ? { port } : {}) },
  });
  const uri = server.getUri().replace(/\/$/, '');
  log(`embedded database: mongodb-memory-server at ${uri}, data in ${displayPath(dbPath)}`);
  let stopped: Promise<void> | null = null;
  return {
    uri,
    kind: 'mongodb-memory-server',
    stop: () => (stopped ??= server.stop({ doCleanup: false }).then(() => undefined)),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface SpawnSpec {
  label: string;
  binary: string;
  fixedPort: number | undefined;
  args: (port: number) => string[];
  readyLine: RegExp;
}

async function spawnServer(spec: SpawnSpec): Promise<{ child: ChildProcess; uri: string; port: number }> {
  // With a port we picked ourselves another process can grab it between our probe and the
  // child's bind; if the child then dies, try again with a new port.
  const attempts = spec.fixedPort ? 1 : 3;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = spec.fixedPort ?? (await freePort());
    try {
      const child = await spawnAndWait(spec, port);
      return { child, uri: `mongodb://127.0.0.1:${port}`, port };
    } catch (err) {
      lastError = err;
      if (!(err instanceof ChildDiedError) || !/address already in use|EADDRINUSE/i.test(err.message)) break;
    }
  }
  throw lastError;
}

class ChildDiedError extends Error {}

async function spawnAndWait(spec: SpawnSpec, port: number): Promise<ChildProcess> {
  const uri = `mongodb://127.0.0.1:${port}`;
  const child = spawn(spec.binary, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);

  const output: string[] = [];
  let sawReady = false;
  let exited: string | null = null;
  let onReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (onReady = resolve));

  const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) => {
    if (!stream) return;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (!line) continue;
        output.push(line);
        if (output.length > TAIL_LINES) output.shift();
        if (isStdout && !sawReady && spec.readyLine.test(line)) {
          sawReady = true;
          onReady();
        }
      }
    });
  };
  collect(child.stdout, true);
  collect(child.stderr, false);

  const exitPromise = new Promise<never>((_, reject) => {
    const fail = (why: string) => {
      exited = why;
      reject(new ChildDiedError(`embedded database: ${spec.label} ${why} before it was ready.${lastLines(output)}`));
    };
    child.once('error', (err) => fail(`could not be started (${err.message})`));
    child.once('exit', (code, signal) => fail(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  exitPromise.catch(() => {});

  const deadline = Date.now() + START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `embedded database: ${spec.label} (${spec.binary}) did not get ready within ` +
              `${START_TIMEOUT_MS / 1000} s.${lastLines(output)}`,
          ),
        ),
      START_TIMEOUT_MS,
    );
  });

  try {
    // mongod logs its ready line as JSON on stdout; do not insist on it, a ping is what counts.
    const readyOrPoll = spec.label === 'mongod' ? Promise.race([readyPromise, sleep(200)]) : readyPromise;
    await Promise.race([readyOrPoll, exitPromise, timeout]);
    await Promise.race([waitForPing(uri, deadline, () => exited !== null), exitPromise, timeout]);
    return child;
  } catch (err) {
    if (exited === null) await stopChild(child);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function waitForPing(uri: string, deadline: number, gaveUp: () => boolean): Promise<void> {
  let lastErr: unknown;
  while (Date.now() < deadline && !gaveUp()) {
    if (await tcpConnects(uri)) {
      const client = new mongoose.mongo.MongoClient(uri, {
        serverSelectionTimeoutMS: 2_000,
        connectTimeoutMS: 2_000,
        directConnection: true,
      });
      try {
        await client.connect();
        await client.db('admin').command({ ping: 1 });
        return;
      } catch (err) {
        lastErr = err;
      } finally {
        await client.close().catch(() => {});
      }
    }
    await sleep(100);
  }
  throw new Error(`embedded database: ${uri} did not answer ping (${String(lastErr ?? 'timeout')})`);
}

function tcpConnects(uri: string): Promise<boolean> {
  const port = Number(new URL(uri).port);
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1_000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

async function serverVersion(uri: string): Promise<string | null> {
  const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 2_000, directConnection: true });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return typeof info['version'] === 'string' ? info['version'] : null;
  } catch {
    return null;
  } finally {
    await client.close().catch(() => {});
  }
}

const liveChildren = new Set<ChildProcess>();
let handlersInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
  installExitHandlers();
}

function killAllChildren(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGTERM');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAllChildren();
      // Adding a listener disables Node's default "exit on signal"; if nobody else handles the
      // signal, restore the default and re-raise it so the parent still terminates.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    liveChildren.delete(child);
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// Small helpers

interface CommandResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

function runCommand(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let output = '';
    const append = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, Math.max(timeoutMs, 1_000));
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: output + String(err), timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

async function which(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Asks the OS for a free port on 127.0.0.1 (bind port 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(text: string, n = TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function lastLines(lines: string[]): string {
  return lines.length ? ` Last output:\n${lines.join('\n')}` : ' (no output)';
}

/** Relative to the working directory when inside it (".data/ferretdb"), absolute otherwise. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
