import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { MIGRATIONS_FOLDER, migrateDatabase } from './client';

/** Where tests find PostgreSQL. Every machine here runs one at 127.0.0.1:5432 with trust auth. */
/** Used only by tests. Every machine here runs PostgreSQL at 127.0.0.1:5432 with trust auth. */
export const TEST_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const withDatabase = (url: string, name: string): string => {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
};

const migrationsHash = (): string => {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql')).sort()) {
    hash.update(file).update(readFileSync(path.join(MIGRATIONS_FOLDER, file)));
  }
  return hash.digest('hex').slice(0, 12);
};

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await client.connect().catch((error: Error) => {
    throw new Error(
      `Cannot reach PostgreSQL at ${TEST_PG_ADMIN_URL} (${error.message}). Start it (infra/local/ensure-services.sh) .`,
    );
  });
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A migrated template per migrations version, built once and cloned per test file (fast, fully isolated). */
async function ensureTemplate(): Promise<string> {
  const template = `earshot_tpl_${migrationsHash()}`;
  await admin(async (client) => {
    await client.query('select pg_advisory_lock(724001)');
    try {
      const found = await client.query('select 1 from pg_database where datname = $1', [template]);
      if (found.rowCount === 0) {
        const building = `${template}_build_${process.pid}`;
        await client.query(`drop database if exists "${building}"`);
        await client.query(`create database "${building}"`);
        await migrateDatabase(withDatabase(TEST_PG_ADMIN_URL, building));
        await client.query(`alter database "${building}" rename to "${template}"`);
      }
    } finally {
      await client.query('select pg_advisory_unlock(724001)');
    }
  });
  return template;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own. Call drop() in afterAll. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const name = `earshot_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await admin(async (client) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        // "source database is being accessed by other users": another clone is in progress.
        if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  return {
    url: withDatabase(TEST_PG_ADMIN_URL, name),
    name,
    drop: () => admin(async (client) => void (await client.query(`drop database if exists "${name}" with (force)`))),
  };
}
