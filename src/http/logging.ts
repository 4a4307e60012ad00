// Structured JSON logs (pino) that never carry credentials or message bodies.
import pino, { type Logger } from 'pino';

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.totp',
  '*.recoveryCode',
  '*.body',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'village', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Request logs carry method, url and status only; bodies are never logged.
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: req.url.split('?')[0], id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
