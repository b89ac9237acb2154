// Starts the real `huiyuan` server for one test file: a fresh SQLite database in a
// temporary folder, the demo data, a free port. The port is read from the server's own
// "listening on" line, so nothing sleeps and hopes. The development SMS provider writes
// each message it delivers to the log; `waitForLog` finds such a line, as a developer
// reads the code they were sent.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STARTUP_TIMEOUT_MS = 30_000;

export async function startServer() {
  const bin = process.env.HUIYUAN_BIN;
  const dist = process.env.HUIYUAN_DIST;
  if (!bin || !dist) throw new Error('HUIYUAN_BIN and HUIYUAN_DIST must be set (run through cargo xtask test)');
  const dir = mkdtempSync(join(tmpdir(), 'huiyuan-e2e-'));
  const env = { ...process.env, HUIYUAN_DATABASE_URL: `sqlite://${join(dir, 'huiyuan.db')}`, HUIYUAN_LOG: 'warn,huiyuan_server::notify=info' };
  execFileSync(bin, ['demo-data'], { env, stdio: 'pipe' });
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--dist', dist], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // Everything the server has written, without terminal colour codes.
  let log = '';
  const listeners = new Set();
  child.stdout.on('data', (chunk) => {
    log += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
    for (const listener of listeners) listener();
  });
  const waitForLog = (pattern, timeoutMs = STARTUP_TIMEOUT_MS) => new Promise((resolve, reject) => {
    const check = () => {
      const match = log.match(pattern);
      if (!match) return false;
      listeners.delete(check);
      clearTimeout(timer);
      resolve(match);
      return true;
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    if (!check()) listeners.add(check);
  });
  const started = waitForLog(/listening on (http:\/\/[\d.:]+)/);
  const exited = new Promise((_, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  // Only the race below cares; the exit that `stop` causes later is expected.
  exited.catch(() => {});
  const baseUrl = (await Promise.race([started, exited]))[1];
  return {
    baseUrl,
    databaseUrl: env.HUIYUAN_DATABASE_URL,
    waitForLog,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
