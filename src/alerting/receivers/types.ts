import type { NotificationMessage } from '../message.js';

/** A delivery that did not succeed. `retryable`: try again later; otherwise dead-letter it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The receiver's Retry-After, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Where notifications go. One file per kind; built from config in receivers/index.ts. */
export interface Receiver {
  name: string;
  kind: 'webhook' | 'slack' | 'email' | 'pagerduty' | 'alertmanager';
  /** Delivers once or throws (DeliveryError, or anything else: retried). */
  send(message: NotificationMessage, context: { idempotencyKey: string; signal: AbortSignal }): Promise<void>;
}
