/** Which Kafka client errors heal by waiting (an outage) and which never will. */

/** The broker forgot or rejected the idempotent producer's identity: a new producer fixes it. */
const PRODUCER_STATE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

interface KafkaishError {
  name?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
}

/** The error, its causes and, for an aggregate, its members. */
function chain(err: unknown, out: KafkaishError[] = [], depth = 0): KafkaishError[] {
  if (!err || typeof err !== 'object' || depth > 8) return out;
  const e = err as KafkaishError;
  out.push(e);
  if (e.cause && e.cause !== err) chain(e.cause, out, depth + 1);
  for (const member of e.errors ?? []) chain(member, out, depth + 1);
  return out;
}

export function needsNewProducer(err: unknown): boolean {
  return chain(err).some((e) => e.type !== undefined && PRODUCER_STATE.has(e.type));
}

/**
 * Connection failures, time-outs, leader moves and retries running out heal
 * when the brokers come back; a protocol error Kafka marks non-retriable
 * (a message too large, a bad topic name, an authorisation failure) does not.
 */
export function isRetriable(err: unknown): boolean {
  const all = chain(err);
  if (
    all.some((e) => e.name === 'KafkaJSProtocolError' && e.retriable === false && !PRODUCER_STATE.has(e.type ?? ''))
  ) {
    return false;
  }
  return all.some((e) => typeof e.name === 'string' && e.name.startsWith('KafkaJS'));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
