// OpenPGP public keys: mine (account security) or my organization's (admins change them,
// members read them). Each key shows its fingerprint in groups of four, user ids, expiry and
// whether mail can be encrypted to it now (or why not).
import { type FormEvent, useState } from 'react';
import { del, get, post } from '../api.ts';
import { ActionList, Badge, Empty, ErrorNote, Loading, Section, Time, useAction, useLoad } from '../ui.tsx';

interface PgpKey {
  id: string;
  fingerprint: string;
  userIds: string[];
  algorithm: string;
  keyCreatedAt: string;
  expiresAt: string | null;
  usable: boolean;
  problems: string[];
  addedAt: string;
}

/** "ABCD1234…" → "ABCD 1234 …", as GnuPG prints it. */
export const groupFingerprint = (fp: string) => fp.replace(/(.{4})(?=.)/g, '$1 ');

export function PgpKeysSection({
  id,
  title,
  path,
  canWrite,
  intro,
}: {
  id: string;
  title: string;
  /** The API collection: /account/pgp-keys or /orgs/{id}/pgp-keys. */
  path: string;
  canWrite: boolean;
  intro: string;
}) {
  const list = useLoad(() => get<PgpKey[]>(path), [path]);
  const act = useAction();
  const [armored, setArmored] = useState('');
  const add = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(path, { armored: armored.trim() });
      setArmored('');
      await list.reload();
    });
  };
  return (
    <Section id={id} title={title}>
      <p className="small muted">{intro}</p>
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data?.length === 0 ? <Empty>No keys yet.</Empty> : null}
      <ActionList
        items={list.data ?? []}
        itemKey={(k) => k.id}
        render={(k) => (
          <>
            <span className="visually-hidden">Fingerprint </span>
            <code className="fingerprint">{groupFingerprint(k.fingerprint)}</code>{' '}
            {k.usable ? <Badge kind="ok">usable</Badge> : <Badge kind="bad">not usable</Badge>}
            <br />
            {k.userIds.map((u) => (
              <span key={u} className="user-id">
                {u}
              </span>
            ))}
            <span className="small muted">
              {k.algorithm} · created <Time iso={k.keyCreatedAt} /> ·{' '}
              {k.expiresAt ? (
                <>
                  expires <Time iso={k.expiresAt} />
                </>
              ) : (
                'does not expire'
              )}{' '}
              · added <Time iso={k.addedAt} />
            </span>
            {k.problems.length ? <p className="small error">{k.problems.join('; ')}</p> : null}
          </>
        )}
        action={{
          label: 'Delete',
          name: (k) => `key ${k.fingerprint}`,
          show: () => canWrite,
          disabled: act.busy,
          run: (k) =>
            act.run(async () => {
              await del(`${path}/${k.id}`);
              await list.reload();
            }),
        }}
      />
      {canWrite ? (
        <form className="inline-form" onSubmit={add}>
          <label htmlFor={`${id}-armored`}>ASCII-armored public key</label>
          <textarea
            id={`${id}-armored`}
            rows={5}
            required
            spellCheck={false}
            placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----"
            value={armored}
            onChange={(e) => setArmored(e.target.value)}
          />
          <div className="actions">
            <button type="submit" disabled={act.busy}>
              Add the key
            </button>
          </div>
        </form>
      ) : null}
      <ErrorNote error={act.error} />
    </Section>
  );
}
