import { get } from '../api.ts';
import { STATEMENT_STATUS, VEX_JUSTIFICATIONS } from '../format.ts';
import { Link } from '../router.tsx';
import { Badge, DataTable, Empty, ErrorNote, Loading, Page, Time, useLoad, useSession } from '../ui.tsx';
import type { CaseRow } from './Cases.tsx';

interface Row {
  caseId: string;
  caseRef: string;
  vuln: string;
  status: string | null;
  detail: string;
  updatedAt: string | null;
}

interface StatementsView {
  vulnerabilities: Array<{ id: string; cveId: string | null; title: string }>;
  statements: Array<{
    vulnerabilityId: string;
    orgId: string;
    status: string;
    justification: string | null;
    fixedVersions: string[];
    updatedAt: string;
  }>;
}

export function StatementsPage() {
  const { me } = useSession();
  const orgId = me?.user.orgId ?? '';
  const { data, error, loading } = useLoad(async () => {
    const cases = (await get<CaseRow[]>('/cases?open=true')).filter((c) => c.myRole === 'vendor');
    const rows: Row[] = [];
    for (const c of cases) {
      const s = await get<StatementsView>(`/cases/${c.id}/statements`);
      for (const v of s.vulnerabilities) {
        const mine = s.statements.find((x) => x.vulnerabilityId === v.id && x.orgId === orgId);
        rows.push({
          caseId: c.id,
          caseRef: c.ref,
          vuln: v.cveId ? `${v.cveId}: ${v.title}` : v.title,
          status: mine?.status ?? null,
          detail: mine?.justification
            ? (VEX_JUSTIFICATIONS[mine.justification] ?? mine.justification)
            : mine?.fixedVersions.length
              ? `fixed in ${mine.fixedVersions.join(', ')}`
              : '',
          updatedAt: mine?.updatedAt ?? null,
        });
      }
    }
    return rows;
  }, [orgId]);
  return (
    <Page title="My statements">
      <p className="lead">
        Your organization's status for every vulnerability in your open cases. Open a case to change a statement.
      </p>
      <ErrorNote error={error} />
      {loading && !data ? <Loading /> : null}
      {data && data.length === 0 ? <Empty>No vulnerabilities to state on.</Empty> : null}
      {data && data.length > 0 ? (
        <DataTable
          label="My statements"
          rows={data}
          rowKey={(r) => `${r.caseId}-${r.vuln}`}
          columns={[
            { head: 'Case', cell: (r) => <Link href={`/cases/${r.caseId}#vulnerabilities`}>{r.caseRef}</Link> },
            { head: 'Vulnerability', cell: (r) => r.vuln },
            {
              head: 'Status',
              cell: (r) => (
                <>
                  {r.status ? (
                    <Badge kind="state">{STATEMENT_STATUS[r.status] ?? r.status}</Badge>
                  ) : (
                    <Badge kind="warn">No answer yet</Badge>
                  )}
                  {r.detail ? <div className="small muted">{r.detail}</div> : null}
                </>
              ),
            },
            { head: 'Updated', cell: (r) => <Time iso={r.updatedAt} /> },
          ]}
        />
      ) : null}
    </Page>
  );
}
