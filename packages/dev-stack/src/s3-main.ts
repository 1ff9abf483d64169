// An S3-compatible server as a process of its own, so a test can kill it and start it again:
//   node packages/dev-stack/src/s3-main.ts <port> <dir> [bucket…]
import { startS3Server } from './s3-server.ts';

const [port, dir, ...buckets] = process.argv.slice(2);
if (!port || !dir) {
  process.stderr.write('usage: s3-main.ts <port> <dir> [bucket…]\n');
  process.exit(2);
}
const server = await startS3Server({ port: Number(port), dir, buckets });
process.stdout.write(`s3 listening on ${server.endpoint}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
