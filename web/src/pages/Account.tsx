import { type FormEvent, useState } from 'react';
import { createPasskey, del, get, post } from '../api.ts';
import { formatLocal } from '../format.ts';
import { ActionList, Badge, Empty, ErrorNote, Field, Page, Section, Time, useAction, useLoad, useSession } from '../ui.tsx';
import { PgpKeysSection } from './PgpKeys.tsx';

const SCOPES = [
  'org:read',
  'org:write',
  'users:read',
  'users:write',
  'audit:read',
  'reports:read',
  'reports:write',
  'cases:read',
  'cases:write',
] as const;

interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}
interface Token {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
interface Sess {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  mfa: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="notice" role="status">
      <p>
        <strong>Your recovery codes.</strong> Each works once, if you lose your authenticator. Store them somewhere safe: they are
        shown only now.
      </p>
      <ul className="codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Totp() {
  const { me, refresh } = useSession();
  const act = useAction();
  const [enrol, setEnrol] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const enabled = me?.user.totpEnabled ?? false;
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const r = await post<{ recoveryCodes: string[] }>('/me/totp/confirm', { code: code.trim() });
      setCodes(r.recoveryCodes);
      setEnrol(null);
      setCode('');
      await refresh();
    });
  };
  const disable = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post('/me/totp/disable', { code: code.trim() });
      setCode('');
      await refresh();
    });
  };
  return (
    <Section id="totp" title="Authenticator app (TOTP)">
      <p>
        Status: {enabled ? <Badge kind="ok">On</Badge> : <Badge kind="warn">Off</Badge>} — with it on, signing in with a password
        also asks for a six-digit code.
      </p>
      <ErrorNote error={act.error} />
      {codes ? <RecoveryCodes codes={codes} /> : null}
      {!enabled && !enrol ? (
        <button
          type="button"
          className="primary"
          disabled={act.busy}
          onClick={() => act.run(async () => setEnrol(await post('/me/totp/enrol')))}
        >
          Set up an authenticator app
        </button>
      ) : null}
      {enrol ? (
        <form onSubmit={confirm}>
          <p>Add this account to your authenticator app: open the link on your phone, or enter the key by hand.</p>
          <p>
            <a href={enrol.otpauthUri}>Open in authenticator app</a>
          </p>
          <p>
            Key: <code className="secret">{enrol.secret}</code>
          </p>
          <label htmlFor="totp-code">Code from the app</label>
          <input
            id="totp-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <div className="actions">
            <button type="submit" className="primary" disabled={act.busy}>
              Turn on
            </button>
          </div>
        </form>
      ) : null}
      {enabled ? (
        <>
          <form onSubmit={disable} className="inline-form">
            <div className="row">
              <Field id="totp-off" label="Current code">
                <input inputMode="numeric" required value={code} onChange={(e) => setCode(e.target.value)} />
              </Field>
              <div className="row-go">
                <button type="submit" className="danger" disabled={act.busy}>
                  Turn off
                </button>
              </div>
            </div>
          </form>
          <button
            type="button"
            disabled={act.busy}
            onClick={() =>
              act.run(async () => setCodes((await post<{ recoveryCodes: string[] }>('/me/recovery-codes')).recoveryCodes))
            }
          >
            Replace my recovery codes
          </button>
        </>
      ) : null}
    </Section>
  );
}

function Passkeys() {
  const list = useLoad(() => get<Passkey[]>('/me/webauthn'), []);
  const act = useAction();
  const [name, setName] = useState('');
  const add = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const options = await post<Record<string, unknown>>('/me/webauthn/register/options');
      const response = await createPasskey(options);
      await post('/me/webauthn/register/verify', { response, ...(name.trim() ? { name: name.trim() } : {}) });
      setName('');
      await list.reload();
    });
  };
  return (
    <Section id="passkeys" title="Passkeys">
      <ErrorNote error={list.error ?? act.error} />
      {list.data?.length === 0 ? <Empty>No passkeys yet. A passkey signs you in without a password.</Empty> : null}
      <ActionList
        items={list.data ?? []}
        itemKey={(p) => p.id}
        render={(p) => (
          <>
            <strong>{p.name}</strong>{' '}
            <span className="small muted">
              added <Time iso={p.createdAt} />, last used <Time iso={p.lastUsedAt} />
            </span>
          </>
        )}
        action={{
          label: 'Remove',
          name: (p) => p.name,
          run: (p) =>
            act.run(async () => {
              await del(`/me/webauthn/${p.id}`);
              await list.reload();
            }),
        }}
      />
      <form className="inline-form" onSubmit={add}>
        <div className="row">
          <Field id="pk-name" label="Name for the new passkey">
            <input placeholder="Laptop" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <div className="row-go">
            <button type="submit" disabled={act.busy}>
              Add a passkey
            </button>
          </div>
        </div>
      </form>
    </Section>
  );
}

function Tokens() {
  const list = useLoad(() => get<Token[]>('/me/tokens'), []);
  const act = useAction();
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [scopes, setScopes] = useState<string[]>(['cases:read']);
  const [secret, setSecret] = useState<string | null>(null);
  const create = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      const r = await post<{ token: string }>('/me/tokens', { name, scopes, expiresInDays: Number(days) });
      setSecret(r.token);
      setName('');
      await list.reload();
    });
  };
  const live = (list.data ?? []).filter((t) => !t.revokedAt);
  return (
    <Section id="tokens" title="API tokens">
      <ErrorNote error={list.error ?? act.error} />
      {secret ? (
        <div className="notice" role="status">
          <p>
            <strong>Your new token.</strong> Copy it now: it is shown only once.
          </p>
          <p className="secret">{secret}</p>
        </div>
      ) : null}
      {live.length === 0 ? <Empty>No API tokens.</Empty> : null}
      <ActionList
        items={live}
        itemKey={(t) => t.id}
        render={(t) => (
          <>
            <strong>{t.name}</strong> <code>{t.prefix}…</code>{' '}
            <span className="small muted">
              {t.scopes.join(', ')} · expires <Time iso={t.expiresAt} /> · last used <Time iso={t.lastUsedAt} />
            </span>
          </>
        )}
        action={{
          label: 'Revoke',
          name: (t) => t.name,
          run: (t) =>
            act.run(async () => {
              await del(`/me/tokens/${t.id}`);
              await list.reload();
            }),
        }}
      />
      <form className="inline-form" onSubmit={create}>
        <div className="row">
          <Field id="tk-name" label="Token name">
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="tk-days" label="Valid for (days)">
            <input type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
          </Field>
        </div>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <div className="check" key={s}>
              <input
                id={`scope-${s}`}
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />
              <label htmlFor={`scope-${s}`}>{s}</label>
            </div>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={act.busy || scopes.length === 0}>
            Create token
          </button>
        </div>
      </form>
    </Section>
  );
}

function Sessions() {
  const list = useLoad(() => get<Sess[]>('/me/sessions'), []);
  const act = useAction();
  const [revokeTokens, setRevokeTokens] = useState(false);
  return (
    <Section id="sessions" title="Sessions">
      <ErrorNote error={list.error ?? act.error} />
      <ActionList
        items={list.data ?? []}
        itemKey={(s) => s.id}
        render={(s) => (
          <>
            {s.current ? <Badge kind="ok">This browser</Badge> : null} {s.userAgent ?? 'Unknown browser'}{' '}
            <span className="small muted">
              {s.ip ?? ''} · signed in <Time iso={s.createdAt} /> · last seen <Time iso={s.lastSeenAt} />
              {s.mfa ? ' · second factor used' : ''}
            </span>
          </>
        )}
        action={{
          label: 'End',
          name: (s) => `the session of ${s.userAgent ?? 'an unknown browser'}, last seen ${formatLocal(s.lastSeenAt)}`,
          show: (s) => !s.current,
          run: (s) =>
            act.run(async () => {
              await del(`/me/sessions/${s.id}`);
              await list.reload();
            }),
        }}
      />
      <div className="check">
        <input id="rv-tokens" type="checkbox" checked={revokeTokens} onChange={(e) => setRevokeTokens(e.target.checked)} />
        <label htmlFor="rv-tokens">Also revoke every API token</label>
      </div>
      <div className="actions">
        <button
          type="button"
          className="danger"
          disabled={act.busy}
          onClick={() =>
            act.run(async () => {
              await post('/me/logout-everywhere', { revokeTokens });
              location.assign('/sign-in');
            })
          }
        >
          Sign out everywhere
        </button>
      </div>
    </Section>
  );
}

export function AccountPage() {
  const { me } = useSession();
  return (
    <Page title="Account security">
      <p className="lead">
        Signed in as {me?.user.email} ({me?.organization.name}, {me?.user.orgRole}).
      </p>
      <div className="grid-2">
        <Totp />
        <Passkeys />
        <Tokens />
        <Sessions />
        <PgpKeysSection
          id="pgp-keys"
          title="My OpenPGP keys"
          path="/account/pgp-keys"
          canWrite
          intro="Mail to you is encrypted to your newest usable key (else to your organization's key)."
        />
      </div>
    </Page>
  );
}
