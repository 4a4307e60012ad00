import { useEffect } from 'react';
import { Link, navigate } from '../router.tsx';
import { Page, useSession } from '../ui.tsx';

export function HomePage() {
  const { me } = useSession();
  useEffect(() => {
    if (me) navigate(me.organization.kind === 'coordinator' ? '/triage' : '/cases', true);
  }, [me]);
  if (me) return null;
  return (
    <Page title="Coordinated vulnerability disclosure">
      <div className="grid-2">
        <section className="card" aria-labelledby="h-report">
          <h2 id="h-report">Found a vulnerability?</h2>
          <p>
            Tell us about it. You do not need an account: you get a private link to follow your report, answer our questions and
            see when it is published. We bring the affected vendors together in confidence and agree one release date with them.
          </p>
          <Link className="button primary" href="/report">
            Report a vulnerability
          </Link>
        </section>
        <section className="card" aria-labelledby="h-team">
          <h2 id="h-team">Coordinators and vendor teams</h2>
          <p>Sign in to triage reports, work on your cases, agree embargoes and state your products' status.</p>
          <Link className="button" href="/sign-in">
            Sign in
          </Link>
        </section>
      </div>
    </Page>
  );
}
