// `npm run db:migrate`: applies committed migrations to DATABASE_URL (creating the database if needed).
import { migrateDatabase } from './client';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/earshot';
migrateDatabase(url)
  .then(() => {
    process.stdout.write(`migrations applied to ${new URL(url).pathname.slice(1)}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
