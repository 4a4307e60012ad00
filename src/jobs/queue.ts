// The durable job queue every later capability uses. Jobs are enqueued inside the caller's
// transaction (so a job exists exactly when the change that asked for it was committed),
// carry an idempotency key, run at a given time, and retry with backoff.
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.ts';

export interface EnqueueOptions {
  /**
   * Idempotency key, per job name: a second enqueue with the same key is a no-op (while the
   * job or its archived copy is kept, 7 days by default), and once() effects run once ever.
   */
  key: string;
  /** Not run before this time (the database's clock decides). */
  runAt?: Date;
  /** Retries after the first attempt, with exponential backoff (default 5). */
  retryLimit?: number;
  /**
   * Among due jobs of one name, which are fetched first: those due earliest (a backlog drains in
   * deadline order), rather than those enqueued first.
   */
  deadlineOrder?: boolean;
  /**
   * The key was minted in the enqueuing transaction (a new row's id), so no job can have run
   * under it before: the check for an archived twin is skipped.
   */
  newKey?: boolean;
}

export interface JobContext<T> {
  name: string;
  key: string;
  data: T;
  attempt: number;
  /**
   * Runs `effect` in a transaction that also records the job's key as done; if the key was
   * already recorded (the job ran before, then crashed or was retried), the effect is skipped.
   * A handler with several effects names each one with `step` (letters, digits, `_.-`);
   * calling once() twice in one run with the same step is an error, not a silent skip.
   * On the embedded engine the effect must use only `trx` (there is one connection).
   */
  once<R>(effect: (trx: Kysely<DB>) => Promise<R>, step?: string): Promise<{ ran: true; result: R } | { ran: false }>;
}

export type JobHandler<T = unknown> = (job: JobContext<T>) => Promise<void>;

export interface RegisterOptions {
  /** How often this job's queue is polled when idle (default: the queue's polling interval). */
  pollingIntervalSeconds?: number;
  /** How many of this job run at once in one process (default: the queue's concurrency). */
  concurrency?: number;
}

export interface JobQueue {
  /**
   * Enqueue within an open transaction (trx) or on its own (db). Returns false if the key was
   * seen. `data` must be JSON: the handler receives it after a JSON round trip.
   */
  enqueue<T>(trx: Kysely<DB>, name: string, data: T, opts: EnqueueOptions): Promise<boolean>;
  register<T>(name: string, handler: JobHandler<T>, opts?: RegisterOptions): void;
  /**
   * Makes the queue take jobs: its tables and the registered job names exist in the database
   * (created or migrated when missing; after the first start that is a check). enqueue() works
   * from here; register() no longer does.
   */
  prepare(): Promise<void>;
  /** prepare(), then, in a process that runs jobs, begin fetching and running them. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
