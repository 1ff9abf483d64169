export {
  type ReceivedDelivery,
  type Receiver,
  type Respond,
  startReceiver,
  Webhook,
} from './webhook-receiver.ts';
