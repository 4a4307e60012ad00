// The app shell: who is signed in, the navigation, and which page the path shows.
import { type ReactNode, StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, get, post, setCsrfToken } from './api.ts';
import { AccountPage } from './pages/Account.tsx';
import { AffectedSearchPage } from './pages/Affected.tsx';
import { CasePage } from './pages/Case.tsx';
import { CasesPage } from './pages/Cases.tsx';
import { CommunitiesPage, CommunityPage } from './pages/Communities.tsx';
import { FeedsPage } from './pages/Feeds.tsx';
import { HomePage } from './pages/Home.tsx';
import { OrganizationPage } from './pages/Organization.tsx';
import { ProductsPage } from './pages/Products.tsx';
import { ReplyPage } from './pages/Reply.tsx';
import { ReportPage } from './pages/Report.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { StatementsPage } from './pages/Statements.tsx';
import { ReportDetailPage, TriagePage } from './pages/Triage.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import { Loading, type Me, SessionContext } from './ui.tsx';

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is nothing here. <Link href="/">Go to the start page</Link>.
      </p>
    </>
  );
}

function RequireSignIn({ me, children }: { me: Me | null; children: ReactNode }) {
  const { path } = useLocation();
  useEffect(() => {
    if (!me) navigate(`/sign-in?next=${encodeURIComponent(path)}`, true);
  }, [me, path]);
  return me ? children : null;
}

type Params = Record<string, string>;
/** Each UI path (the server's UI_ROUTES), its page, and whether it needs a signed-in user. */
const ROUTES: Array<[string, (p: Params) => ReactNode, boolean]> = [
  ['/', () => <HomePage />, false],
  ['/sign-in', () => <SignInPage />, false],
  ['/report', () => <ReportPage />, false],
  ['/reply/:token', (p) => <ReplyPage token={p.token ?? ''} />, false],
  ['/account', () => <AccountPage />, true],
  ['/triage', () => <TriagePage />, true],
  ['/triage/:id', (p) => <ReportDetailPage id={p.id ?? ''} />, true],
  ['/cases', () => <CasesPage />, true],
  ['/cases/:id', (p) => <CasePage id={p.id ?? ''} />, true],
  ['/statements', () => <StatementsPage />, true],
  ['/communities', () => <CommunitiesPage />, true],
  ['/communities/:id', (p) => <CommunityPage id={p.id ?? ''} />, true],
  ['/products', () => <ProductsPage />, true],
  ['/organization', () => <OrganizationPage />, true],
  ['/feeds', () => <FeedsPage />, true],
  ['/affected', () => <AffectedSearchPage initialCase={new URLSearchParams(location.search).get('case') ?? ''} />, true],
];

function route(path: string, me: Me | null): ReactNode {
  for (const [pattern, render, signedIn] of ROUTES) {
    const params = match(pattern, path);
    if (!params) continue;
    return signedIn ? <RequireSignIn me={me}>{render(params)}</RequireSignIn> : render(params);
  }
  return <NotFound />;
}

function NavLink({ href, children, path }: { href: string; children: ReactNode; path: string }) {
  const current = path === href || (href !== '/' && path.startsWith(`${href}/`));
  return (
    <Link href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function App() {
  const { path } = useLocation();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      const m = await get<Me>('/me');
      setCsrfToken(m.csrfToken);
      setMe(m);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setMe(null);
      else setMe(null);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = async () => {
    try {
      await post('/auth/logout');
    } finally {
      setCsrfToken(null);
      setMe(null);
      navigate('/sign-in');
    }
  };

  const coordinator = me?.organization.kind === 'coordinator';
  return (
    <SessionContext.Provider value={{ me: me ?? null, refresh }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          Village
        </Link>
        <nav aria-label="Main">
          {me ? (
            <>
              {coordinator ? (
                <NavLink href="/triage" path={path}>
                  Triage
                </NavLink>
              ) : null}
              <NavLink href="/cases" path={path}>
                Cases
              </NavLink>
              {!coordinator ? (
                <NavLink href="/statements" path={path}>
                  My statements
                </NavLink>
              ) : null}
              {!coordinator ? (
                <NavLink href="/products" path={path}>
                  My products
                </NavLink>
              ) : (
                <NavLink href="/affected" path={path}>
                  Who is affected
                </NavLink>
              )}
              <NavLink href="/communities" path={path}>
                Communities
              </NavLink>
              <NavLink href="/organization" path={path}>
                My organization
              </NavLink>
              {me.user.isOperator ? (
                <NavLink href="/feeds" path={path}>
                  Feeds
                </NavLink>
              ) : null}
              <NavLink href="/account" path={path}>
                Account
              </NavLink>
            </>
          ) : (
            <>
              <NavLink href="/report" path={path}>
                Report a vulnerability
              </NavLink>
              <NavLink href="/sign-in" path={path}>
                Sign in
              </NavLink>
            </>
          )}
        </nav>
        {me ? (
          <div className="who">
            <span>
              {me.user.displayName} <span className="muted">· {me.organization.name}</span>
            </span>
            <button type="button" className="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {me === undefined ? <Loading /> : route(path, me)}
      </main>
      <footer className="foot">
        <span>Village · coordinated vulnerability disclosure</span>
        <a href="/docs">API reference</a>
      </footer>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
