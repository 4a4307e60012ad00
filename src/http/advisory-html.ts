// The public advisory pages, rendered on the server from a release snapshot: the index of
// advisories and one landing page per case (summary, scores, every vendor's status per
// vulnerability with fixed versions and advisory links, credits, links to every document).
// Plain HTML with landmarks, headings and table headers; no scripts; styles from one CSS file.
import { csafUrl, osvId, type ReleaseSnapshot } from '../formats/release-snapshot.ts';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const STATUS_TEXT: Record<string, string> = {
  affected: 'Affected',
  fixed: 'Fixed',
  not_affected: 'Not affected',
  under_investigation: 'Under investigation',
  none: 'No statement',
};

export const ADVISORY_CSS = `:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;color:#1b1b1b;background:#fff}
header,main,footer{max-width:64rem;margin:0 auto;padding:1rem 1.5rem}
header{border-bottom:1px solid #ddd}
a{color:#0b57d0}
h1{font-size:1.8rem;margin:.5rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.tlp{display:inline-block;background:#000;color:#fff;font-weight:700;padding:.1rem .5rem;font-family:monospace}
.status-affected{color:#a50e0e;font-weight:600}.status-fixed{color:#0d652d;font-weight:600}
.status-not_affected{color:#3c4043}.status-under_investigation,.status-none{color:#8a5300}
.meta{color:#555}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/advisories/advisory.css">
<link rel="alternate" type="application/atom+xml" title="Advisories" href="/advisories/feed.atom">
</head>
<body>
<header><p><a href="/advisories/">Advisories</a></p></header>
<main id="main">
${body}
</main>
<footer><p class="meta">Published by Village. Documents are signed with the instance key at <a href="/.well-known/openpgp-key.asc">/.well-known/openpgp-key.asc</a>; the CSAF provider metadata is at <a href="/.well-known/csaf/provider-metadata.json">/.well-known/csaf/provider-metadata.json</a>.</p></footer>
</body>
</html>
`;
}

export interface AdvisoryListItem {
  advisoryId: string;
  title: string;
  revision: number;
  initialReleaseAt: Date;
  currentReleaseAt: Date;
}

export function renderIndex(items: AdvisoryListItem[]): string {
  const rows = items
    .map(
      (a) =>
        `<tr><td><a href="/advisories/${encodeURIComponent(a.advisoryId)}">${esc(a.advisoryId)}</a></td><td>${esc(a.title)}</td><td><time datetime="${a.initialReleaseAt.toISOString()}">${a.initialReleaseAt.toISOString().slice(0, 10)}</time></td><td>${a.revision}</td></tr>`,
    )
    .join('\n');
  return layout(
    'Advisories',
    `<h1>Advisories</h1>
<p><a href="/advisories/feed.atom">Atom feed</a> · <a href="/.well-known/csaf/provider-metadata.json">CSAF provider metadata</a></p>
${
  items.length
    ? `<table><caption>Published advisories, newest first</caption><thead><tr><th scope="col">Advisory</th><th scope="col">Title</th><th scope="col">Released</th><th scope="col">Revision</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : '<p>No advisories have been published yet.</p>'
}`,
  );
}

export interface LandingDocuments {
  cve: string[];
  osv: string[];
}

export function renderLanding(s: ReleaseSnapshot, docs: LandingDocuments): string {
  const base = `/advisories/${encodeURIComponent(s.advisoryId)}`;
  const names = new Map(s.vendors.map((v) => [v.orgId, v.name]));
  const csaf = new URL(csafUrl(s)).pathname;
  const vulnSections = s.vulnerabilities
    .map((v, i) => {
      const orgs = [
        ...new Set([
          ...v.products.map((p) => p.vendorOrgId).filter((o): o is string => !!o),
          ...s.statements.filter((st) => st.vulnerabilityKey === v.key).map((st) => st.orgId),
        ]),
      ].sort((a, b) => (names.get(a) ?? '').localeCompare(names.get(b) ?? ''));
      const rows = orgs
        .map((org) => {
          const st = s.statements.find((x) => x.vulnerabilityKey === v.key && x.orgId === org);
          const status = st?.status ?? 'none';
          const products = v.products
            .filter((p) => p.vendorOrgId === org)
            .map((p) => `${esc(p.productName)}${p.versionRange ? ` <span class="meta">${esc(p.versionRange)}</span>` : ''}`)
            .join('<br>');
          const detail = [
            st?.justification ? esc(st.justification.replaceAll('_', ' ')) : '',
            st?.publicStatement ? esc(st.publicStatement) : '',
            st?.remediation ? esc(st.remediation) : '',
          ]
            .filter(Boolean)
            .join('<br>');
          return `<tr><th scope="row">${esc(names.get(org) ?? 'Unknown vendor')}</th><td class="status-${status}">${STATUS_TEXT[status]}</td><td>${products || '—'}</td><td>${st?.fixedVersions.length ? esc(st.fixedVersions.join(', ')) : '—'}</td><td>${st?.advisoryUrl ? `<a href="${esc(st.advisoryUrl)}">Vendor advisory</a>` : '—'}</td><td>${detail || '—'}</td></tr>`;
        })
        .join('\n');
      const scores = [
        v.cvss31 ? `CVSS v3.1 <strong>${v.cvss31.baseScore.toFixed(1)}</strong> <code>${esc(v.cvss31.vector)}</code>` : '',
        v.cvss40 ? `CVSS v4.0 <strong>${v.cvss40.baseScore.toFixed(1)}</strong> <code>${esc(v.cvss40.vector)}</code>` : '',
      ].filter(Boolean);
      const osvDoc = docs.osv.includes(osvId(s.advisoryId, i)) ? osvId(s.advisoryId, i) : null;
      const links = [
        v.cveId && docs.cve.includes(v.cveId)
          ? `<a href="${base}/cve/${encodeURIComponent(v.cveId)}.json">CVE record (JSON 5)</a>`
          : '',
        osvDoc ? `<a href="${base}/osv/${encodeURIComponent(osvDoc)}.json">OSV record</a>` : '',
      ].filter(Boolean);
      return `<section aria-labelledby="v${i + 1}">
<h2 id="v${i + 1}">${esc(v.cveId ?? `${s.advisoryId}-${i + 1}`)}: ${esc(v.title)}</h2>
${v.description.trim() ? `<p>${esc(v.description)}</p>` : ''}
${scores.length ? `<p>${scores.join('<br>')}</p>` : ''}
${v.cweIds.length ? `<p>Weakness: ${v.cweIds.map(esc).join(', ')}</p>` : ''}
${links.length ? `<p>${links.join(' · ')}</p>` : ''}
<table>
<caption>Vendor status for ${esc(v.cveId ?? v.title)}</caption>
<thead><tr><th scope="col">Vendor</th><th scope="col">Status</th><th scope="col">Products</th><th scope="col">Fixed versions</th><th scope="col">Advisory</th><th scope="col">Details</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">No vendor is listed.</td></tr>'}
</tbody>
</table>
</section>`;
    })
    .join('\n');
  const revisions = s.revisions
    .map(
      (r) =>
        `<li>Revision ${esc(r.number)}, <time datetime="${esc(r.date)}">${esc(r.date.slice(0, 16).replace('T', ' '))} UTC</time>: ${esc(r.summary)}</li>`,
    )
    .join('\n');
  return layout(
    `${s.advisoryId}: ${s.title}`,
    `<p><span class="tlp">TLP:CLEAR</span></p>
<h1>${esc(s.advisoryId)}: ${esc(s.title)}</h1>
<p class="meta">Coordinated by ${esc(s.publisher.name)}. Released <time datetime="${esc(s.initialReleaseDate)}">${esc(s.initialReleaseDate.slice(0, 10))}</time>; revision ${esc(s.revisions.at(-1)?.number ?? '1')}.</p>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2><p>${esc(s.summary.trim() || s.title)}</p></section>
<section aria-labelledby="documents"><h2 id="documents">Documents</h2>
<ul>
<li><a href="${csaf}">CSAF 2.0 advisory</a> (<a href="${csaf}.asc">signature</a>, <a href="${csaf}.sha256">SHA-256</a>, <a href="${csaf}.sha512">SHA-512</a>)</li>
${docs.cve.map((id) => `<li><a href="${base}/cve/${encodeURIComponent(id)}.json">${esc(id)} (CVE JSON 5)</a> (<a href="${base}/cve/${encodeURIComponent(id)}.json.asc">signature</a>)</li>`).join('\n')}
${docs.osv.map((id) => `<li><a href="${base}/osv/${encodeURIComponent(id)}.json">${esc(id)} (OSV)</a> (<a href="${base}/osv/${encodeURIComponent(id)}.json.asc">signature</a>)</li>`).join('\n')}
</ul></section>
${vulnSections}
<section aria-labelledby="credits"><h2 id="credits">Credits</h2>
${s.credits.length ? `<ul>${s.credits.map((c) => `<li>${esc(c)}, for finding and reporting the vulnerability</li>`).join('')}</ul>` : '<p>No credits were requested.</p>'}
</section>
<section aria-labelledby="history"><h2 id="history">Revision history</h2><ol>${revisions}</ol></section>`,
  );
}

export interface FeedEntry {
  advisoryId: string;
  title: string;
  revision: number;
  summary: string;
  published: Date;
  updated: Date;
}

/** Atom 1.0 (RFC 4287) of releases and their revisions. */
export function renderAtom(baseUrl: string, entries: FeedEntry[]): string {
  const updated = entries.reduce((m, e) => (e.updated > m ? e.updated : m), new Date(0));
  const items = entries
    .map((e) => {
      const url = `${baseUrl}/advisories/${encodeURIComponent(e.advisoryId)}`;
      return `<entry>
<id>${esc(url)}#revision-${e.revision}</id>
<title>${esc(`${e.advisoryId}: ${e.title}${e.revision > 1 ? ` (revision ${e.revision})` : ''}`)}</title>
<link rel="alternate" type="text/html" href="${esc(url)}"/>
<published>${e.published.toISOString()}</published>
<updated>${e.updated.toISOString()}</updated>
<summary>${esc(e.summary)}</summary>
</entry>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${esc(baseUrl)}/advisories/</id>
<title>Village advisories</title>
<link rel="self" type="application/atom+xml" href="${esc(baseUrl)}/advisories/feed.atom"/>
<link rel="alternate" type="text/html" href="${esc(baseUrl)}/advisories/"/>
<updated>${updated.toISOString()}</updated>
<author><name>Village</name></author>
${items}
</feed>
`;
}
