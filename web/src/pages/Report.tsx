import { type FormEvent, useState } from 'react';
import { fileToBase64, post } from '../api.ts';
import { localInputToIso } from '../format.ts';
import { Link } from '../router.tsx';
import { ErrorNote, Page, useAction } from '../ui.tsx';

interface Submitted {
  ref: string;
  replyUrl: string;
  replyToken: string;
}

export function ReportPage() {
  const [form, setForm] = useState({
    title: '',
    description: '',
    vendorName: '',
    productName: '',
    purl: '',
    cveIds: '',
    reporterName: '',
    reporterEmail: '',
    reporterPgpKey: '',
    plannedDisclosureAt: '',
    creditConsent: true,
    creditName: '',
  });
  const [files, setFiles] = useState<File[]>([]);
  const [done, setDone] = useState<Submitted | null>(null);
  const { run, busy, error } = useAction();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const attachments = await Promise.all(files.map(async (f) => ({ filename: f.name, contentBase64: await fileToBase64(f) })));
      const opt = (v: string) => (v.trim() ? v.trim() : undefined);
      const r = await post<Submitted>('/reports', {
        title: form.title,
        description: form.description,
        vendorName: opt(form.vendorName),
        productName: opt(form.productName),
        purl: opt(form.purl),
        cveIds: form.cveIds
          .split(/[\s,]+/)
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean),
        reporterName: opt(form.reporterName),
        reporterEmail: form.reporterEmail,
        reporterPgpKey: opt(form.reporterPgpKey),
        plannedDisclosureAt: localInputToIso(form.plannedDisclosureAt),
        creditConsent: form.creditConsent,
        creditName: form.creditConsent ? opt(form.creditName) : undefined,
        ...(attachments.length ? { attachments } : {}),
      });
      setDone(r);
    });
  };

  if (done) {
    const path = new URL(done.replyUrl, location.origin).pathname;
    return (
      <Page title="Thank you: your report is in">
        <div className="card narrow" role="status">
          <p>
            Your report is <strong>{done.ref}</strong>. We have sent an acknowledgement to your address.
          </p>
          <p>
            <strong>Keep this private link.</strong> It is the only way to follow your report without an account, and it is shown
            only once:
          </p>
          <p className="secret">{done.replyUrl}</p>
          <Link className="button primary" href={path}>
            Open my report
          </Link>
        </div>
      </Page>
    );
  }

  return (
    <Page title="Report a vulnerability">
      <div className="grid-side">
        <aside className="card policy" aria-labelledby="policy-h">
          <h2 id="policy-h">How we coordinate</h2>
          <ul>
            <li>
              You get an acknowledgement by email at once, with a private link to follow your report and talk to us; no account is
              needed. We tell you through it whether we take the report on.
            </li>
            <li>
              We contact the affected vendors in confidence and agree one public release date with them (an embargo, usually at
              most 90 days), sooner when fixes are ready, and at once when the issue is exploited or becomes public.
            </li>
            <li>
              Tell us when you plan to publish. We will not hold you to a date you have not agreed to, and we keep you informed of
              the embargo.
            </li>
            <li>Everything you send is shared only with the people who need it to fix the issue.</li>
          </ul>
          <h3>Credit</h3>
          <p>
            With your consent we credit you, by the name you choose, in the published advisories and records (CSAF, CVE, OSV) and
            on the release page. You can change your mind until release by writing to us through your link.
          </p>
        </aside>
        <form className="card" onSubmit={submit}>
          <fieldset>
            <legend>The vulnerability</legend>
            <label htmlFor="r-title">Title</label>
            <input id="r-title" required maxLength={200} value={form.title} onChange={set('title')} />
            <label htmlFor="r-desc">Description</label>
            <p className="hint" id="r-desc-hint">
              What is affected, how to reproduce it, and what an attacker gains.
            </p>
            <textarea
              id="r-desc"
              aria-describedby="r-desc-hint"
              required
              rows={8}
              value={form.description}
              onChange={set('description')}
            />
            <div className="grid-2">
              <div>
                <label htmlFor="r-vendor">Vendor</label>
                <input id="r-vendor" value={form.vendorName} onChange={set('vendorName')} />
              </div>
              <div>
                <label htmlFor="r-product">Product</label>
                <input id="r-product" value={form.productName} onChange={set('productName')} />
              </div>
              <div>
                <label htmlFor="r-purl">Package URL (optional)</label>
                <input id="r-purl" placeholder="pkg:npm/example@1.2.3" value={form.purl} onChange={set('purl')} />
              </div>
              <div>
                <label htmlFor="r-cve">CVE ids (optional)</label>
                <input id="r-cve" placeholder="CVE-2026-12345" value={form.cveIds} onChange={set('cveIds')} />
              </div>
            </div>
            <label htmlFor="r-files">Attachments (up to five files, 10 MB each)</label>
            <input id="r-files" type="file" multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []).slice(0, 5))} />
          </fieldset>
          <fieldset>
            <legend>You</legend>
            <div className="grid-2">
              <div>
                <label htmlFor="r-name">Name (optional)</label>
                <input id="r-name" autoComplete="name" value={form.reporterName} onChange={set('reporterName')} />
              </div>
              <div>
                <label htmlFor="r-email">Email</label>
                <input
                  id="r-email"
                  type="email"
                  autoComplete="email"
                  required
                  value={form.reporterEmail}
                  onChange={set('reporterEmail')}
                />
              </div>
            </div>
            <label htmlFor="r-pgp">OpenPGP public key (optional)</label>
            <textarea id="r-pgp" rows={3} value={form.reporterPgpKey} onChange={set('reporterPgpKey')} />
            <label htmlFor="r-date">When do you plan to publish? (optional)</label>
            <input id="r-date" type="datetime-local" value={form.plannedDisclosureAt} onChange={set('plannedDisclosureAt')} />
            <div className="check">
              <input
                id="r-credit"
                type="checkbox"
                checked={form.creditConsent}
                onChange={(e) => setForm({ ...form, creditConsent: e.target.checked })}
              />
              <label htmlFor="r-credit">Credit me publicly when the vulnerability is released</label>
            </div>
            {form.creditConsent ? (
              <>
                <label htmlFor="r-credit-name">Credit me as</label>
                <input id="r-credit-name" value={form.creditName} onChange={set('creditName')} />
              </>
            ) : null}
          </fieldset>
          <ErrorNote error={error} />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send the report'}
            </button>
          </div>
        </form>
      </div>
    </Page>
  );
}
