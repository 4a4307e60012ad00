// Where outgoing mail is signed and encrypted. OpenPGP costs a few milliseconds of CPU per
// message, so a release that notifies thousands of people would otherwise keep one core busy
// while the others idle: the pool runs sealMail (src/mail/protect.ts) on worker threads, one per
// core by default (VILLAGE_MAIL_THREADS). The main thread keeps the decisions, the per-recipient
// transform (watermarks) and the SMTP hand-off. Threads start on first use and stop when idle.
import { Worker } from 'node:worker_threads';
import type { PrivateKey, PublicKey } from '../crypto/openpgp.ts';
import { workerEntry } from '../worker-entry.ts';
import { type MailPlan, type ProtectedMail, sealMail } from './protect.ts';
import type { SealReply, SealRequest } from './protect-worker.ts';

export interface SealKeys {
  recipientKey: { key: PublicKey; fingerprint: string } | null;
  now: Date;
}

export interface MailSealer {
  seal(plan: MailPlan, keys: SealKeys): Promise<ProtectedMail>;
  /** Stops the threads (a later seal starts them again). */
  close(): Promise<void>;
  /** 0: sealing runs on the calling thread. */
  readonly threads: number;
}

/** Seals on the calling thread. */
export function inThreadSealer(signingKey: PrivateKey): MailSealer {
  return {
    threads: 0,
    seal: (plan, keys) => sealMail(plan, { signingKey, recipientKey: keys.recipientKey, now: keys.now }),
    close: async () => {},
  };
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(m: ProtectedMail): void; reject(e: Error): void }>;
}

export interface SealerPoolOptions {
  signingKey: PrivateKey;
  threads: number;
  /** Threads stop after this long with nothing to do. Default 30 s. */
  idleMs?: number;
}

class SealerPool implements MailSealer {
  readonly threads: number;
  private live: Thread[] = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly signingKeyBytes: Uint8Array;

  constructor(opts: SealerPoolOptions) {
    this.threads = opts.threads;
    this.idleMs = opts.idleMs ?? 30_000;
    this.signingKeyBytes = opts.signingKey.write();
  }

  private start(): Thread {
    const worker = new Worker(workerEntry(import.meta.url, './protect-worker.ts', 'protect-worker'), {
      workerData: { signingKey: this.signingKeyBytes },
    });
    const pending: Thread['pending'] = new Map();
    // Seals posted before the thread has loaded wait in its port until it listens.
    const thread: Thread = { worker, pending };
    worker.on('message', (m: SealReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve({ raw: m.raw, protection: m.protection, protectedTo: m.protectedTo });
      else p.reject(new Error(`sealing mail failed: ${m.error}`));
      if (pending.size === 0) this.armIdle();
    });
    const fail = (e: Error) => {
      this.live = this.live.filter((t) => t !== thread);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    worker.on('exit', (code) => fail(new Error(`mail thread stopped (exit ${code})`)));
    worker.unref();
    return thread;
  }

  private armIdle(): void {
    if (this.live.some((t) => t.pending.size > 0)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  async seal(plan: MailPlan, keys: SealKeys): Promise<ProtectedMail> {
    clearTimeout(this.idleTimer);
    while (this.live.length < this.threads) this.live.push(this.start());
    // The least busy thread.
    const thread = this.live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const request: SealRequest = {
      id,
      plan,
      recipientKey: keys.recipientKey
        ? { bytes: keys.recipientKey.key.write(), fingerprint: keys.recipientKey.fingerprint }
        : null,
      now: keys.now,
    };
    const result = new Promise<ProtectedMail>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    thread.worker.ref(); // keep the process alive while a seal is in flight
    thread.worker.postMessage(request);
    try {
      return await result;
    } finally {
      if (thread.pending.size === 0) thread.worker.unref();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const threads = this.live;
    this.live = [];
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

/** Worker threads when threads > 0, else the calling thread. */
export function createMailSealer(opts: SealerPoolOptions): MailSealer {
  return opts.threads > 0 ? new SealerPool(opts) : inThreadSealer(opts.signingKey);
}
