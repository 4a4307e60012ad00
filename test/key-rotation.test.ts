// KEK rotation while a server keeps running on the same keyring file: every data key and the
// signing key are re-wrapped under the new KEK, the old one leaves the file, and the server reads
// old data (re-reading the file when it meets the new KEK id) and wraps new keys with the new KEK.
// An interrupted rotation (new KEK added, nothing re-wrapped) is finished by the next run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyring } from '../src/crypto/keyring.ts';
import { forgetDataKeys, type KeyOwner } from '../src/services/data-keys.ts';
import { keyStatus, rotateKeys } from '../src/services/key-rotation.ts';
import { startTestVillage, type TestVillage } from './support/app.ts';
import { b64, openCase, type Party, partyWithAdmin, submitReport } from './support/cases.ts';

let dir: string;
let kekFile: string;
let v: TestVillage;
let coord: Party;
let reportId = '';
let caseId = '';

const idsInFile = () => (JSON.parse(fs.readFileSync(kekFile, 'utf8')) as { keys: Array<{ id: string }> }).keys.map((k) => k.id);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-kek-'));
  kekFile = path.join(dir, 'kek.json');
  FileKeyring.open(kekFile, { create: true });
  v = await startTestVillage({ env: { VILLAGE_KEK_FILE: kekFile } });
  coord = await partyWithAdmin(v, 'rot-coord', 'coordinator');
  const r = await submitReport(v, {
    title: 'Rotation report',
    description: 'Text sealed before the rotation',
    reporterEmail: 'r@rot.example',
    creditConsent: false,
    attachments: [{ filename: 'a.txt', contentBase64: b64('attachment before rotation') }],
  });
  reportId = r.id;
  await coord.api.post(`/api/v1/reports/${reportId}/transition`, { action: 'validate' });
  caseId = (await openCase(coord.api, { title: 'Case sealed before the rotation', reportIds: [reportId] })).id;
  await coord.api.post(
    `/api/v1/cases/${caseId}/messages`,
    { subject: 'Before', body: 'Message before rotation', tlp: 'RED' },
    201,
  );
}, 120_000);

afterAll(async () => {
  await v?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('village keys rotate, with a server running', () => {
  it('re-wraps every key under a new KEK and retires the old one', async () => {
    const [old] = idsInFile();
    const before = await keyStatus(v.db, v.ctx.keys.keyring);
    const wrapped = before.keks.find((k) => k.kekId === old);
    expect(wrapped?.dataKeys).toBeGreaterThanOrEqual(3); // the report, the case, the mail key
    expect(wrapped?.signingKeys).toBe(1);

    // The CLI's own keyring object on the same file, as another process would have.
    const cli = FileKeyring.open(kekFile, { create: false });
    const lines: string[] = [];
    const r = await rotateKeys(v.db, cli, { batch: 2, graceMs: 50, progress: (l) => lines.push(l) });
    expect(r.resumed).toBe(false);
    expect(r.kekId).not.toBe(old);
    expect(r.dataKeys).toBe(wrapped?.dataKeys);
    expect(r.signingKeys).toBe(1);
    expect(r.retired).toEqual([old]);
    expect(lines.join('\n')).toMatch(/re-wrapped \d+ of \d+ data keys/);
    expect(idsInFile()).toEqual([r.kekId]);
    const after = await keyStatus(v.db, cli);
    expect(after.keks).toEqual([{ kekId: r.kekId, current: true, inKeyring: true, dataKeys: wrapped?.dataKeys, signingKeys: 1 }]);

    // The running server, its key cache emptied, reads everything: it re-reads the file on meeting the new id.
    forgetDataKeys(v.ctx, [`case:${caseId}`, `report:${reportId}`] as KeyOwner[]);
    const report = await coord.api.get<{ report: { title: string; attachments: Array<{ id: string }> } }>(
      `/api/v1/reports/${reportId}`,
    );
    expect(report.report.title).toBe('Rotation report');
    const att = await coord.api.raw('GET', `/api/v1/reports/${reportId}/attachments/${report.report.attachments[0]?.id}`);
    expect(att.rawPayload.toString()).toBe('attachment before rotation');
    const msgs = await coord.api.get<Array<{ body: string }>>(`/api/v1/cases/${caseId}/messages`);
    expect(msgs.map((m) => m.body)).toEqual(['Message before rotation']);
    expect((await coord.api.get<{ title: string }>(`/api/v1/cases/${caseId}`)).title).toBe('Case sealed before the rotation');

    // A case created now is wrapped by the new KEK: the server noticed the file changed.
    const fresh = (await openCase(coord.api, { title: 'After the rotation' })).id;
    const row = await v.db
      .selectFrom('data_keys')
      .select('kek_id')
      .where('owner', '=', `case:${fresh}`)
      .executeTakeFirstOrThrow();
    expect(row.kek_id).toBe(r.kekId);
  });

  it('finishes an interrupted rotation instead of starting another', async () => {
    const [current] = idsInFile();
    // Interrupted right after adding the new KEK: nothing re-wrapped yet.
    const added = FileKeyring.open(kekFile, { create: false }).addKey();
    expect(idsInFile()).toEqual([current, added]);
    const r = await rotateKeys(v.db, FileKeyring.open(kekFile, { create: false }));
    expect(r).toMatchObject({ resumed: true, kekId: added, retired: [current] });
    expect(idsInFile()).toEqual([added]);
    // And a run with nothing left to finish starts a new rotation.
    const again = await rotateKeys(v.db, FileKeyring.open(kekFile, { create: false }));
    expect(again.resumed).toBe(false);
    expect(idsInFile()).toEqual([again.kekId]);
    forgetDataKeys(v.ctx, [`case:${caseId}`] as KeyOwner[]);
    expect((await coord.api.get<{ title: string }>(`/api/v1/cases/${caseId}`)).title).toBe('Case sealed before the rotation');
  });
});
