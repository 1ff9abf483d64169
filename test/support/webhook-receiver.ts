// The receiver lives in the dev-stack package (the bench uses it too); tests keep this path.
export {
  type ReceivedDelivery,
  type Receiver,
  type Respond,
  startReceiver,
  Webhook,
} from '@imagen-queue/dev-stack';
