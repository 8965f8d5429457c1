// The database an integration suite runs against: SQLite in the suite's temp dir when
// $DATABASE_URL is empty, else the PostgreSQL or MariaDB server it names (ctest starts throwaway
// servers with scripts/test-db-start). A server database is wiped (every table dropped) before
// the suite, the way the storage tests do, through the psql / mariadb command-line clients.
import { execFileSync } from 'node:child_process';

export function describeDatabase(url = process.env.DATABASE_URL) {
  if (!url) return 'sqlite';
  return new URL(url).protocol.replace(/:$/, '');
}

function run(cmd, args, env = {}) {
  return execFileSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function wipeDatabase(url = process.env.DATABASE_URL) {
  if (!url || url.startsWith('sqlite')) return;
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const host = u.hostname;
  if (u.protocol === 'postgres:' || u.protocol === 'postgresql:') {
    const base = ['-h', host, '-p', u.port || '5432', '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', '-q', '-At'];
    const env = { PGPASSWORD: password };
    const drops = run('psql', [...base, '-c',
      "SELECT 'DROP TABLE IF EXISTS \"' || tablename || '\" CASCADE;' FROM pg_tables WHERE schemaname = current_schema()"], env);
    if (drops.trim()) run('psql', [...base, '-c', drops], env);
    return;
  }
  if (u.protocol === 'mysql:' || u.protocol === 'mariadb:') {
    const base = ['--no-defaults', '-h', host, '-P', u.port || '3306', '-u', user,
      `--password=${password}`, db, '-N', '-B'];
    const tables = run('mariadb', [...base, '-e', 'SHOW TABLES']).split('\n').filter(Boolean);
    if (tables.length) {
      run('mariadb', [...base, '-e',
        `SET FOREIGN_KEY_CHECKS = 0; ${tables.map((t) => `DROP TABLE IF EXISTS \`${t}\`;`).join(' ')} SET FOREIGN_KEY_CHECKS = 1;`]);
    }
    return;
  }
  throw new Error(`unsupported DATABASE_URL scheme ${u.protocol}`);
}
