// Configuration comes only from environment variables; each is documented in the README.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { EnvFeedsSchema, type FeedInput } from './domain/feed-config.ts';

const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  VILLAGE_DATA_DIR: z.string().default('./data'),
  VILLAGE_PUBLIC_URL: z.string().url().optional(),
  VILLAGE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VILLAGE_DEMO: bool.default(true),
  VILLAGE_COOKIE_SECURE: bool.default(true),
  VILLAGE_SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(120),
  VILLAGE_SESSION_MAX_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  VILLAGE_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  VILLAGE_LOGIN_LOCK_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  VILLAGE_LOGIN_IP_LIMIT: z.coerce.number().int().min(1).max(100000).default(30),
  VILLAGE_SBOM_SCHEMA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(16 * 1024 * 1024),
  VILLAGE_SBOM_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(512 * 1024 * 1024),
  VILLAGE_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  VILLAGE_WEBAUTHN_RP_ID: z.string().optional(),
  VILLAGE_WEBAUTHN_RP_NAME: z.string().default('Village'),
  VILLAGE_WORKERS: bool.default(true),
  VILLAGE_DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // Threads that sign and encrypt outgoing mail; 0: on the main thread. Default: one per core, at most 4.
  VILLAGE_MAIL_THREADS: z.coerce.number().int().min(0).max(64).optional(),
  VILLAGE_HOUSEKEEPING_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  VILLAGE_AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().min(1).max(10_080).default(10),
  // smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start); unset: mail disabled.
  VILLAGE_SMTP_URL: z
    .string()
    .url()
    .refine((v) => /^smtps?:\/\//i.test(v), 'must be an smtp:// or smtps:// URL')
    .optional(),
  VILLAGE_MAIL_FROM: z
    .string()
    .min(3)
    .max(320)
    .refine((v) => /^[^\r\n]*@[^\r\n]*$/.test(v), 'must be an address such as Village <village@example.org>')
    .default('Village <village@localhost>'),
  // The key-encryption keyring (JSON, mode 0600); default <data dir>/keys/kek.json, created at first start.
  VILLAGE_KEK_FILE: z.string().min(1).optional(),
  // An operator-supplied OpenPGP private key (armored) to sign with; default: one generated at first start.
  VILLAGE_SIGNING_KEY_FILE: z.string().min(1).optional(),
  VILLAGE_SIGNING_KEY_PASSPHRASE: z.string().min(1).optional(),
  // Webhooks: http:// and loopback/private targets only when allowed (development and tests).
  VILLAGE_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  VILLAGE_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(120).default(10),
  VILLAGE_WEBHOOK_RETRY_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  VILLAGE_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  // CVE Services (the CVE Program's API); all four set, or none (then CVE routes say it is disabled).
  VILLAGE_CVE_API_URL: z.string().url().optional(),
  VILLAGE_CVE_API_ORG: z.string().min(1).max(128).optional(),
  VILLAGE_CVE_API_USER: z.string().min(1).max(320).optional(),
  VILLAGE_CVE_API_KEY: z.string().min(1).max(1024).optional(),
  // Feeds polled for parachute-cord signals: a JSON array of {kind, name, url?, path?, intervalSeconds?, keywords?}.
  VILLAGE_FEEDS: z
    .string()
    .transform((v, tx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        tx.addIssue({ code: 'custom', message: 'must be a JSON array of feeds' });
        return z.NEVER;
      }
    })
    .pipe(EnvFeedsSchema)
    .optional(),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  publicUrl: string;
  logLevel: z.infer<typeof ConfigSchema>['VILLAGE_LOG_LEVEL'];
  demo: boolean;
  cookieSecure: boolean;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  loginMaxFailures: number;
  loginLockMinutes: number;
  loginIpLimit: number;
  bodyLimitBytes: number;
  /** Largest SBOM upload (streamed, never buffered whole). */
  sbomMaxBytes: number;
  /** CycloneDX JSON uploads up to this size are also checked against the schema (0: never). */
  sbomSchemaMaxBytes: number;
  webauthnRpId: string;
  webauthnRpName: string;
  workers: boolean;
  dbPoolMax: number;
  housekeepingSeconds: number;
  /** How often the instance signs an audit checkpoint (when the chain has grown). */
  auditCheckpointMinutes: number;
  /** Outgoing mail server; undefined: mail is disabled (queued mail is recorded as skipped). */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Worker threads that sign and encrypt outgoing mail (0: the main thread does it). */
  mailThreads: number;
  /** The key-encryption keyring file. */
  kekFile: string;
  /** True when kekFile is the default one in the data directory (then it is created if missing). */
  kekFileIsDefault: boolean;
  signingKeyFile: string | undefined;
  signingKeyPassphrase: string | undefined;
  webhooks: {
    /** Allow http:// URLs and loopback, private and special-purpose addresses (never in production). */
    allowPrivate: boolean;
    timeoutMs: number;
    /** First retry delay; each later one doubles (capped at six hours). */
    retrySeconds: number;
    maxAttempts: number;
  };
  /** CVE Services credentials; undefined: the integration is disabled. */
  cveServices: { baseUrl: string; org: string; user: string; apiKey: string } | undefined;
  /** Feeds configured from the environment (VILLAGE_FEEDS); undefined: the environment names none. */
  feeds: FeedInput[] | undefined;
};

export class ConfigError extends Error {}

/** Reads and validates the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const cve = [e.VILLAGE_CVE_API_URL, e.VILLAGE_CVE_API_ORG, e.VILLAGE_CVE_API_USER, e.VILLAGE_CVE_API_KEY];
  if (cve.some((x) => x !== undefined) && !cve.every((x) => x !== undefined)) {
    throw new ConfigError(
      'invalid configuration:\n  VILLAGE_CVE_API_URL, VILLAGE_CVE_API_ORG, VILLAGE_CVE_API_USER and VILLAGE_CVE_API_KEY are set together or not at all',
    );
  }
  const publicUrl = (e.VILLAGE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.VILLAGE_DATA_DIR),
    publicUrl,
    logLevel: e.VILLAGE_LOG_LEVEL,
    demo: e.VILLAGE_DEMO,
    cookieSecure: e.VILLAGE_COOKIE_SECURE,
    sessionIdleMinutes: e.VILLAGE_SESSION_IDLE_MINUTES,
    sessionMaxHours: e.VILLAGE_SESSION_MAX_HOURS,
    loginMaxFailures: e.VILLAGE_LOGIN_MAX_FAILURES,
    loginLockMinutes: e.VILLAGE_LOGIN_LOCK_MINUTES,
    loginIpLimit: e.VILLAGE_LOGIN_IP_LIMIT,
    bodyLimitBytes: e.VILLAGE_BODY_LIMIT_BYTES,
    sbomMaxBytes: e.VILLAGE_SBOM_MAX_BYTES,
    sbomSchemaMaxBytes: e.VILLAGE_SBOM_SCHEMA_MAX_BYTES,
    webauthnRpId: e.VILLAGE_WEBAUTHN_RP_ID ?? new URL(publicUrl).hostname,
    webauthnRpName: e.VILLAGE_WEBAUTHN_RP_NAME,
    workers: e.VILLAGE_WORKERS,
    dbPoolMax: e.VILLAGE_DB_POOL_MAX,
    housekeepingSeconds: e.VILLAGE_HOUSEKEEPING_SECONDS,
    auditCheckpointMinutes: e.VILLAGE_AUDIT_CHECKPOINT_MINUTES,
    smtpUrl: e.VILLAGE_SMTP_URL,
    mailFrom: e.VILLAGE_MAIL_FROM,
    mailThreads: e.VILLAGE_MAIL_THREADS ?? Math.min(4, os.availableParallelism()),
    kekFile: path.resolve(e.VILLAGE_KEK_FILE ?? path.join(e.VILLAGE_DATA_DIR, 'keys', 'kek.json')),
    kekFileIsDefault: e.VILLAGE_KEK_FILE === undefined,
    signingKeyFile: e.VILLAGE_SIGNING_KEY_FILE ? path.resolve(e.VILLAGE_SIGNING_KEY_FILE) : undefined,
    signingKeyPassphrase: e.VILLAGE_SIGNING_KEY_PASSPHRASE,
    webhooks: {
      allowPrivate: e.VILLAGE_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: Math.round(e.VILLAGE_WEBHOOK_TIMEOUT_SECONDS * 1000),
      retrySeconds: e.VILLAGE_WEBHOOK_RETRY_SECONDS,
      maxAttempts: e.VILLAGE_WEBHOOK_MAX_ATTEMPTS,
    },
    cveServices:
      e.VILLAGE_CVE_API_URL && e.VILLAGE_CVE_API_ORG && e.VILLAGE_CVE_API_USER && e.VILLAGE_CVE_API_KEY
        ? {
            baseUrl: e.VILLAGE_CVE_API_URL.replace(/\/$/, ''),
            org: e.VILLAGE_CVE_API_ORG,
            user: e.VILLAGE_CVE_API_USER,
            apiKey: e.VILLAGE_CVE_API_KEY,
          }
        : undefined,
    feeds: e.VILLAGE_FEEDS,
  };
}
