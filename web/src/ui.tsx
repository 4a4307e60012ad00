// Shared pieces: loading data, running actions, dates, TLP badges, state badges, errors.
import {
  cloneElement,
  createContext,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
} from 'react';
import { ApiError } from './api.ts';
import { formatLocal, formatRelative, formatUtc } from './format.ts';
import { TLP_SHARING, type TlpLabel, tlpClass } from './tlp.ts';

export interface Me {
  user: {
    id: string;
    orgId: string;
    email: string;
    displayName: string;
    orgRole: string;
    isOperator: boolean;
    totpEnabled: boolean;
  };
  organization: { id: string; slug: string; name: string; kind: string };
  csrfToken: string | null;
}

export const SessionContext = createContext<{ me: Me | null; refresh: () => Promise<void> }>({
  me: null,
  refresh: async () => {},
});
export const useSession = () => useContext(SessionContext);

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.text;
  return e instanceof Error ? e.message : String(e);
}

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await fnRef.current());
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, []);
  // Reload when what the caller names changes (compared by value).
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the caller's dependencies
  useEffect(() => {
    void reload();
  }, [reload, key]);
  return { data, error, loading, reload };
}

/** Runs an action with a busy flag and a readable error; returns true when it succeeded. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, setError };
}

export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Village`;
  }, [title]);
  return (
    <>
      <div className="page-head">
        <h1>{title}</h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </div>
      {children}
    </>
  );
}

/** A date in the viewer's time zone; UTC on hover. */
export function Time({ iso, relative = false }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {relative ? `${formatRelative(iso)} (${formatLocal(iso)})` : formatLocal(iso)}
    </time>
  );
}

export function TlpBadge({ label }: { label: string }) {
  const sharing = TLP_SHARING[label as TlpLabel];
  return (
    <span className={`tlp ${tlpClass(label)}`} title={sharing}>
      TLP:{label}
    </span>
  );
}

export function Badge({ kind = 'neutral', children, title }: { kind?: string; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${kind}`} title={title}>
      {children}
    </span>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {typeof error === 'string' ? error : errorText(error)}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Section({
  id,
  title,
  children,
  actions,
}: {
  id: string;
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-h`} id={id}>
      <div className="card-head">
        <h2 id={`${id}-h`}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A wide table that scrolls sideways on a small screen; focusable so the keyboard can scroll it. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section className="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/** A labelled TLP picker offering `labels` (those the user may use), shown as TLP:LABEL, the choice also as its badge. */
export function TlpSelect({
  id,
  label,
  labels,
  value,
  onChange,
}: {
  id: string;
  label: string;
  labels: readonly string[];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <span className="tlp-select">
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {labels.map((l) => (
            <option key={l} value={l}>
              TLP:{l}
            </option>
          ))}
        </select>
        {/* The chosen label in its official colours (options cannot be coloured); the select already names it. */}
        <span aria-hidden="true">
          <TlpBadge label={value} />
        </span>
      </span>
    </div>
  );
}

/** The messages of a problem's field errors (`body.url`, …) for one field, if any. */
export function fieldError(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError)) return null;
  const hits = error.fields.filter((f) => f.field === `body.${field}` || f.field.startsWith(`body.${field}.`));
  return hits.length ? [...new Set(hits.map((f) => f.message))].join('; ') : null;
}

/**
 * A form row: a label, one control, an optional hint and an optional error. The control gets the
 * id, and is described by the hint and the error (and marked invalid while there is one).
 */
export function Field({
  id,
  label,
  hint,
  error,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | null;
  className?: string;
  children: ReactElement<Record<string, unknown>>;
}) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={className}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        ...(described ? { 'aria-describedby': described } : {}),
        ...(error ? { 'aria-invalid': true } : {}),
      })}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A column of a DataTable: its head, each row's cell, and optionally a class and a hover title. */
export interface Column<T> {
  head: ReactNode;
  cell: (row: T) => ReactNode;
  className?: string;
  title?: (row: T) => string | undefined;
}

/**
 * A list as a table: a caption (visually hidden), column heads, one row per item with one cell as
 * its row header (the first, unless `rowHeader` names another), and an optional last column of
 * actions; it scrolls sideways on a small screen.
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowHeader = 0,
  actions,
  className,
}: {
  label: string;
  columns: Array<Column<T>>;
  rows: readonly T[];
  rowKey: (row: T) => string;
  rowHeader?: number;
  actions?: (row: T) => ReactNode;
  className?: string;
}) {
  return (
    <TableWrap label={label}>
      <table className={className}>
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are fixed
              <th scope="col" key={i} className={c.className}>
                {c.head}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c, i) => {
                const Cell = i === rowHeader ? 'th' : 'td';
                return (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are fixed
                  <Cell key={i} scope={i === rowHeader ? 'row' : undefined} className={c.className} title={c.title?.(r)}>
                    {c.cell(r)}
                  </Cell>
                );
              })}
              {actions ? <td>{actions(r)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/**
 * A list of items, each with one (destructive) action: passkeys, tokens, sessions, keys. The
 * action's button names its item for screen readers ("Remove Laptop"); `show` hides it on some items.
 */
export function ActionList<T>({
  items,
  itemKey,
  render,
  action,
}: {
  items: readonly T[];
  itemKey: (item: T) => string;
  render: (item: T) => ReactNode;
  action?: {
    label: string;
    name: (item: T) => string;
    run: (item: T) => unknown;
    disabled?: boolean;
    show?: (item: T) => boolean;
  };
}) {
  return (
    <ul className="plain">
      {items.map((item) => (
        <li key={itemKey(item)} className="row-item">
          <div>{render(item)}</div>
          {action && (action.show?.(item) ?? true) ? (
            <button type="button" className="small danger" disabled={action.disabled} onClick={() => action.run(item)}>
              {action.label} <span className="visually-hidden">{action.name(item)}</span>
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
