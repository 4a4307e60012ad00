// My products: the organization's products, and an SBOM per product version (CycloneDX JSON or
// XML, SPDX JSON), uploaded with progress; the import's result (components, direct dependencies,
// warnings such as dependency cycles) or the problem that refused it. A new upload of a version
// replaces what that version shipped.
import { type FormEvent, useRef, useState } from 'react';
import { ApiError, get, post, uploadFile } from '../api.ts';
import { humanSize } from '../format.ts';
import { sbomContentType, VERSION_PATTERN } from '../products.ts';
import { Empty, ErrorNote, Loading, Page, Section, TableWrap, Time, useAction, useLoad, useSession } from '../ui.tsx';

export interface Product {
  id: string;
  orgId: string;
  name: string;
  purl: string | null;
  createdAt: string;
  versions: Array<{ version: string; sbomId: string; components: number; uploadedAt: string }>;
}

interface ImportResult {
  sbomId: string;
  replaced: boolean;
  format: string;
  specVersion: string;
  components: number;
  direct: number;
  warnings: string[];
}

const FORMAT_NAMES: Record<string, string> = {
  'cyclonedx-json': 'CycloneDX JSON',
  'cyclonedx-xml': 'CycloneDX XML',
  'spdx-json': 'SPDX JSON',
};

const SHOWN_WARNINGS = 10;

export function ProductsPage() {
  const { me } = useSession();
  const orgId = me?.user.orgId ?? '';
  const products = useLoad(() => get<Product[]>(`/orgs/${orgId}/products`), [orgId]);
  const act = useAction();
  const [name, setName] = useState('');
  const [purl, setPurl] = useState('');
  const create = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => {
      await post(`/orgs/${orgId}/products`, { name: name.trim(), ...(purl.trim() ? { purl: purl.trim() } : {}) });
      setName('');
      setPurl('');
      await products.reload();
    });
  };
  return (
    <Page title="My products">
      <p className="lead">
        The products {me?.organization.name ?? 'your organization'} ships, and a software bill of materials for each version.
        Coordinators match them against vulnerabilities to find who is affected; other organizations never see them.
      </p>
      <div className="stack">
        <Section id="new-product" title="Register a product">
          <form className="inline-form" onSubmit={create}>
            <div className="row">
              <div>
                <label htmlFor="np-name">Product name</label>
                <input id="np-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
              </div>
              <div className="grow">
                <label htmlFor="np-purl">Package URL (optional)</label>
                <input
                  id="np-purl"
                  placeholder="pkg:generic/acme-router"
                  aria-describedby="np-purl-hint"
                  value={purl}
                  onChange={(e) => setPurl(e.target.value)}
                />
                <p className="hint" id="np-purl-hint">
                  The product's own purl, if it is published as a package.
                </p>
              </div>
              <div className="row-go">
                <button type="submit" className="primary" disabled={act.busy || !name.trim()}>
                  Register
                </button>
              </div>
            </div>
            <ErrorNote error={act.error} />
          </form>
        </Section>
        <ErrorNote error={products.error} />
        {products.loading && !products.data ? <Loading /> : null}
        {products.data && products.data.length === 0 ? <Empty>No product registered yet.</Empty> : null}
        {(products.data ?? []).map((p) => (
          <ProductCard key={p.id} product={p} onChange={products.reload} />
        ))}
      </div>
    </Page>
  );
}

type UploadState =
  | { kind: 'idle' }
  | { kind: 'sending'; file: string; sent: number; total: number }
  | { kind: 'done'; file: string; version: string; result: ImportResult }
  | { kind: 'failed'; file: string; error: unknown };

function ProductCard({ product, onChange }: { product: Product; onChange: () => Promise<void> }) {
  const [version, setVersion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ kind: 'idle' });
  const fileInput = useRef<HTMLInputElement>(null);
  const versionInput = useRef<HTMLInputElement>(null);
  const idp = `p-${product.id.slice(0, 8)}`;
  const existing = new Set(product.versions.map((v) => v.version));
  const upload = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !version.trim()) return;
    const v = version.trim();
    setState({ kind: 'sending', file: file.name, sent: 0, total: file.size });
    try {
      const result = await uploadFile<ImportResult>(
        `/orgs/${product.orgId}/products/${product.id}/sboms/${encodeURIComponent(v)}`,
        file,
        sbomContentType(file),
        (sent, total) => setState({ kind: 'sending', file: file.name, sent, total }),
      );
      setState({ kind: 'done', file: file.name, version: v, result });
      setFile(null);
      if (fileInput.current) fileInput.current.value = '';
      await onChange();
    } catch (error) {
      setState({ kind: 'failed', file: file.name, error });
    }
  };
  const replace = (v: string) => {
    setVersion(v);
    versionInput.current?.focus();
  };
  const busy = state.kind === 'sending';
  return (
    <Section id={idp} title={product.name}>
      <p className="muted small">
        {product.purl ? <code>{product.purl}</code> : 'No package URL'} · registered <Time iso={product.createdAt} />
      </p>
      {product.versions.length === 0 ? (
        <Empty>No SBOM uploaded yet.</Empty>
      ) : (
        <TableWrap label={`Versions of ${product.name}`}>
          <table>
            <caption className="visually-hidden">Versions of {product.name}</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Components</th>
                <th scope="col">Uploaded</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {product.versions.map((v) => (
                <tr key={v.sbomId}>
                  <th scope="row">{v.version}</th>
                  <td>{v.components.toLocaleString()}</td>
                  <td>
                    <Time iso={v.uploadedAt} />
                  </td>
                  <td>
                    <button type="button" className="small" onClick={() => replace(v.version)} disabled={busy}>
                      Replace<span className="visually-hidden"> the SBOM of {v.version}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form className="inline-form" onSubmit={upload} aria-label={`Upload an SBOM of ${product.name}`}>
        <h3>Upload an SBOM</h3>
        <div className="row">
          <div>
            <label htmlFor={`${idp}-version`}>Version</label>
            <input
              id={`${idp}-version`}
              ref={versionInput}
              required
              maxLength={100}
              pattern={VERSION_PATTERN}
              title="Letters, digits and . _ + ~ : -"
              value={version}
              onChange={(e) => setVersion(e.target.value)}
            />
          </div>
          <div className="grow">
            <label htmlFor={`${idp}-file`}>SBOM file</label>
            <input
              id={`${idp}-file`}
              ref={fileInput}
              type="file"
              required
              accept=".json,.xml,application/json,application/xml,text/xml"
              aria-describedby={`${idp}-file-hint`}
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
            <p className="hint" id={`${idp}-file-hint`}>
              CycloneDX 1.2–1.6 (JSON or XML) or SPDX 2.3 (JSON).
            </p>
          </div>
          <div className="row-go">
            <button type="submit" className="primary" disabled={busy || !file || !version.trim()}>
              {existing.has(version.trim()) ? 'Replace SBOM' : 'Upload SBOM'}
            </button>
          </div>
        </div>
        {existing.has(version.trim()) ? (
          <p className="hint">Version {version.trim()} has an SBOM: this upload replaces what it shipped.</p>
        ) : null}
      </form>
      <UploadStatus state={state} id={`${idp}-progress`} />
    </Section>
  );
}

function UploadStatus({ state, id }: { state: UploadState; id: string }) {
  if (state.kind === 'idle') return null;
  if (state.kind === 'sending') {
    const done = state.total > 0 && state.sent >= state.total;
    const pct = state.total > 0 ? Math.floor((state.sent / state.total) * 100) : 0;
    return (
      <div className="upload-progress" role="status">
        <label htmlFor={id}>
          {done
            ? `Importing ${state.file}…`
            : `Sending ${state.file}: ${humanSize(state.sent)} of ${humanSize(state.total)} (${pct} %)`}
        </label>
        <progress id={id} max={state.total || 1} value={done ? undefined : state.sent} />
      </div>
    );
  }
  if (state.kind === 'failed') {
    const e = state.error;
    const code = e instanceof ApiError && e.type ? e.type : null;
    return (
      <div className="error" role="alert">
        <p>
          <strong>{e instanceof ApiError ? e.title : 'The upload failed'}</strong> ({state.file})
          {code ? (
            <>
              {' '}
              · <code>{code}</code>
            </>
          ) : null}
        </p>
        <p>{e instanceof ApiError ? (e.detail ?? e.text) : e instanceof Error ? e.message : String(e)}</p>
        {e instanceof ApiError && e.fields.length > 1 ? (
          // Schema errors: the first few, each where it is (an XML line or a JSON pointer).
          <ul className="warnings">
            {e.fields.map((f, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed once shown
              <li key={i}>
                <code>{f.field}</code>: {f.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  const r = state.result;
  return (
    <div className="notice ok" role="status">
      <p>
        <strong>
          {state.file} imported as version {state.version}
        </strong>
        {r.replaced ? ', replacing the earlier SBOM' : ''}: {FORMAT_NAMES[r.format] ?? r.format} {r.specVersion},{' '}
        {r.components.toLocaleString()} component{r.components === 1 ? '' : 's'}, {r.direct.toLocaleString()} direct
        {r.direct === 1 ? ' dependency' : ' dependencies'}.
      </p>
      {r.warnings.length ? (
        <>
          <p>
            {r.warnings.length} warning{r.warnings.length === 1 ? '' : 's'}:
          </p>
          <ul className="warnings">
            {r.warnings.slice(0, SHOWN_WARNINGS).map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
          {r.warnings.length > SHOWN_WARNINGS ? (
            <details>
              <summary>{r.warnings.length - SHOWN_WARNINGS} more</summary>
              <ul className="warnings">
                {r.warnings.slice(SHOWN_WARNINGS).map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </details>
          ) : null}
        </>
      ) : (
        <p>No warnings.</p>
      )}
    </div>
  );
}
