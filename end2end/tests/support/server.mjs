// Starts the real `huiyuan` server for one test file: a fresh SQLite database in a
// temporary folder, the demo data, a free port. The port is read from the server's own
// "listening on" line, so nothing sleeps and hopes.
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
  const env = { ...process.env, HUIYUAN_DATABASE_URL: `sqlite://${join(dir, 'huiyuan.db')}`, HUIYUAN_LOG: 'warn' };
  execFileSync(bin, ['demo-data'], { env, stdio: 'pipe' });
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--dist', dist], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in time')), STARTUP_TIMEOUT_MS);
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/[\d.:]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  return {
    baseUrl,
    databaseUrl: env.HUIYUAN_DATABASE_URL,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
