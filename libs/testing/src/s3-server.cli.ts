// Runs the test S3 server as its own process (benchmarks measure its CPU apart from the load generator).
// Prints one line `S3_ENDPOINT=<url>` once listening; stops on SIGTERM.
import { startTestS3Server } from './s3-server';

startTestS3Server()
  .then((server) => {
    process.stdout.write(`S3_ENDPOINT=${server.endpoint}\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
