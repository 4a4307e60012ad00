// Periodic clean-up: expired sessions, WebAuthn challenges and rate-limit windows; and the
// safety net behind the tent-opening jobs (a tent overdue for any reason opens now) and behind
// the component index's merge jobs (uploads still pending are merged now).
// Every process offers the job each minute under the same idempotency key, so it runs once.
import type { AppContext } from '../context.ts';
import { mergeAndTidy, mergePending } from '../services/component-index.ts';
import { openDueTents } from '../services/tents.ts';
import { pruneHits } from '../store/rate-limits.ts';

export const HOUSEKEEPING = 'housekeeping';

export function registerHousekeeping(ctx: AppContext): void {
  ctx.jobs.register<{ at: string }>(HOUSEKEEPING, async (job) => {
    ctx.log.debug({ job: HOUSEKEEPING, key: job.key }, 'housekeeping ran');
    const now = ctx.clock.now();
    await ctx.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    await ctx.db.deleteFrom('webauthn_challenges').where('expires_at', '<', now).execute();
    await pruneHits(ctx.db, new Date(now.getTime() - 24 * 3600_000));
    const opened = await openDueTents(ctx);
    if (opened) ctx.log.warn({ opened }, 'housekeeping opened overdue tents');
    if (await mergePending(ctx.db)) await mergeAndTidy(ctx.db);
  });
}

export function scheduleHousekeeping(ctx: AppContext, everyMs = ctx.config.housekeepingSeconds * 1000): () => void {
  const offer = () => {
    const slot = Math.floor(ctx.clock.now().getTime() / everyMs);
    ctx.jobs
      .enqueue(ctx.db, HOUSEKEEPING, { at: new Date(slot * everyMs).toISOString() }, { key: `housekeeping:${slot}` })
      .catch((err: unknown) => ctx.log.warn({ err }, 'could not schedule housekeeping'));
  };
  const timer = setInterval(offer, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
