import { type FormEvent, useState } from 'react';
import { ApiError, getPasskeyAssertion, post, setCsrfToken } from '../api.ts';
import { navigate, useLocation } from '../router.tsx';
import { ErrorNote, Page, useAction, useSession } from '../ui.tsx';

interface LoginResult {
  csrfToken: string;
}

export function SignInPage() {
  const { refresh } = useSession();
  const { search } = useLocation();
  const next = search.get('next');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<'password' | 'factor'>('password');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const { run, busy, error, setError } = useAction();

  const done = async (r: LoginResult) => {
    setCsrfToken(r.csrfToken);
    await refresh();
    navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/cases', true);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body: Record<string, string> = { email, password };
      if (step === 'factor') body[useRecovery ? 'recoveryCode' : 'totp'] = code.trim();
      try {
        await done(await post<LoginResult>('/auth/login', body));
      } catch (err) {
        if (err instanceof ApiError && err.type === 'mfa-required') {
          setStep('factor');
          setError(null);
          return;
        }
        throw err;
      }
    });
  };

  const passkey = () =>
    run(async () => {
      const options = await post<Record<string, unknown>>('/auth/webauthn/login/options', email ? { email } : {});
      const response = await getPasskeyAssertion(options);
      await done(await post<LoginResult>('/auth/webauthn/login/verify', { response }));
    });

  return (
    <Page title="Sign in">
      <div className="narrow card">
        <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
          {step === 'password' ? (
            <>
              <label htmlFor="email">Email</label>
              <input
                id="email"
                type="email"
                autoComplete="username webauthn"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
              <label htmlFor="password">Password</label>
              <input
                id="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </>
          ) : (
            <>
              <p>
                Your account has a second factor. Enter the six-digit code from your authenticator app
                {useRecovery ? ' — or one of your recovery codes' : ''}.
              </p>
              <label htmlFor="code">{useRecovery ? 'Recovery code' : 'Authentication code'}</label>
              <input
                id="code"
                autoComplete="one-time-code"
                inputMode={useRecovery ? 'text' : 'numeric'}
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
              <button type="button" className="link" onClick={() => setUseRecovery(!useRecovery)}>
                {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
              </button>
            </>
          )}
          <div id="signin-error">
            <ErrorNote error={error} />
          </div>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {step === 'password' ? 'Sign in' : 'Verify'}
            </button>
            {step === 'password' ? (
              <button type="button" onClick={passkey} disabled={busy}>
                Sign in with a passkey
              </button>
            ) : null}
          </div>
        </form>
      </div>
    </Page>
  );
}
