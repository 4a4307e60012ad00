// Kysely table types for signed webhooks (src/store/migrations/0012_webhooks.sql).
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type WebhookEventType = 'advisory.published' | 'advisory.updated' | 'ping';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookSubscriptionsTable {
  id: Generated<string>;
  /** null: an instance-wide subscription (operators'). */
  org_id: string | null;
  url: string;
  events: ColumnType<WebhookEventType[], WebhookEventType[], WebhookEventType[]>;
  description: Generated<string>;
  secret_wrapped: Buffer;
  kek_id: string;
  secret_hint: string;
  created_by: string | null;
  created_at: Timestamp;
  secret_rotated_at: Timestamp | null;
  previous_secret_wrapped: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  previous_kek_id: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  deleted_at: Timestamp | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  subscription_id: string;
  event_id: string;
  event_type: WebhookEventType;
  body: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  round: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  created_at: Timestamp;
  last_attempt_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: Timestamp;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: 'delivered' | 'retry' | 'failed';
}

export interface WebhooksDB {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
