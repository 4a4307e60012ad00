// The fan-out benchmark's local SMTP server (smtp-server), in its own process as a relay would
// be: it takes every message in, counts them, and keeps recipient 0's message for the check.
import { SMTPServer } from 'smtp-server';

const send = (m: unknown) => process.send?.(m);
let received = 0;
let bytes = 0;
let sample: string | undefined;
const server = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  disableReverseLookup: true,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received++;
      const raw = Buffer.concat(chunks);
      bytes += raw.length;
      if (session.envelope.rcptTo[0]?.address === 'r0@bench.example') sample = raw.toString('utf8');
      callback(null, 'OK');
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  send({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (m: { reset?: boolean; report?: boolean }) => {
  if (m.reset) {
    received = 0;
    bytes = 0;
    sample = undefined;
    const cpu = process.cpuUsage();
    send({ reset: true, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (m.report) {
    const cpu = process.cpuUsage();
    send({ received, bytes, sample, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
