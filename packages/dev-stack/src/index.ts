export { freePort } from './free-port.ts';
export {
  type ExitStatus,
  ROOT,
  type RunningProcess,
  type RunOptions,
  runProcess,
  stopAll,
  waitForReady,
  waitUntil,
} from './processes.ts';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.ts';
export { type S3Server, type S3ServerOptions, startS3Server } from './s3-server.ts';
export {
  provideServices,
  type S3Access,
  type Services,
  type ServicesOptions,
  s3FromEnv,
  serviceEnv,
} from './services.ts';
export { createStack, type Stack } from './stack.ts';
export { startApi, startEmulator, startS3Process, startWorker } from './start-processes.ts';
export {
  type ReceivedDelivery,
  type Receiver,
  type Respond,
  startReceiver,
  Webhook,
} from './webhook-receiver.ts';
