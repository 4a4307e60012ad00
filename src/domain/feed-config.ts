// A feed's configuration as the operator gives it (API body, or one entry of VILLAGE_FEEDS).
import path from 'node:path';
import { z } from 'zod';

export const FeedInputSchema = z
  .strictObject({
    kind: z.enum(['kev', 'osv', 'rss']),
    name: z.string().trim().min(1).max(200),
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .describe('Where the feed is fetched (https), and for RSS/Atom the address cords name it by'),
    path: z.string().min(1).max(4096).optional().describe('A local file read instead of the URL'),
    intervalSeconds: z.number().int().min(60).max(604_800).default(3600),
    keywords: z
      .array(z.string().trim().min(2).max(200))
      .max(100)
      .default([])
      .describe('RSS/Atom: only items naming one of these'),
    enabled: z.boolean().default(true),
  })
  .refine((f) => f.url !== undefined || f.path !== undefined, { message: 'a feed needs a url or a path', path: ['url'] })
  .refine((f) => f.kind !== 'rss' || f.url !== undefined, { message: 'an RSS/Atom feed needs its url', path: ['url'] })
  .refine((f) => f.path === undefined || path.isAbsolute(f.path), { message: 'the path must be absolute', path: ['path'] });
export type FeedInput = z.output<typeof FeedInputSchema>;

/** VILLAGE_FEEDS: a JSON array of feeds. */
export const EnvFeedsSchema = z.array(FeedInputSchema).max(100);
