// The release and OpenPGP keys in Chromium: the coordinator previews a case's release (its
// documents and the landing page), confirms by typing the case ref and follows the steps until it
// is done; a vendor in the case sees the status and the link; the public landing page lists every
// vendor's status. A user adds, reads and deletes their OpenPGP key (a bad key is refused with the
// reason); an organization's admin adds its key, a member reads it without the controls.
// Every page visited passes axe-core; screenshots go to docs/screenshots/.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeyPair } from '../support/pgp.ts';
import { checkA11y, E2E, hasChromium, type Login, look, PHONE, SHOTS, tooWide } from './browser.ts';

if (!hasChromium) console.warn('SKIPPED test/e2e/release: no Chromium (apt-get install chromium)');

const e2e = new E2E();
const member: Login = { email: 'max@acme-networks.example', password: 'acme-member-e2e-password-1' };
let kase: { id: string; ref: string };

const VENDORS = ['acme-networks.example', 'globex-wireless.example', 'initech-systems.example'] as const;

async function newKey(name: string, email: string) {
  const k = await makeKeyPair(email);
  const grouped = k.fingerprint.replace(/(.{4})(?=.)/g, '$1 ');
  return { publicKey: k.publicArmored, fingerprint: k.fingerprint, grouped, name };
}

describe.skipIf(!hasChromium)('release and OpenPGP keys in Chromium', () => {
  beforeAll(async () => {
    await e2e.start();
    // A case with three vendors, a vulnerability with their products and a statement from each
    // (arranged through the API: the browser does the release).
    const coord = await e2e.api('coordinator');
    const orgIds: string[] = [];
    for (const v of VENDORS) {
      const api = await e2e.api(v);
      orgIds.push((await api<{ user: { orgId: string } }>('GET', '/me')).user.orgId);
    }
    const [acme, globex, initech] = orgIds as [string, string, string];
    kase = await coord('POST', '/cases', {
      title: 'Gadget firmware command injection',
      summary: 'The web console passes the host name to a shell.',
      reportIds: [],
    });
    for (const orgId of orgIds) await coord('POST', `/cases/${kase.id}/participants`, { orgId, role: 'vendor' });
    const vuln = await coord<{ id: string }>('POST', `/cases/${kase.id}/vulnerabilities`, {
      cveId: 'CVE-2026-20001',
      title: 'Command injection in the gadget web console',
      description: 'The diagnostics page passes the host name to a shell without quoting it.',
      cweIds: ['CWE-78'],
      cvss31: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
      products: [
        { vendorOrgId: acme, productName: 'Acme Gadget', purl: 'pkg:npm/acme-gadget', versionRange: 'vers:npm/<2.4.0' },
        { vendorOrgId: globex, productName: 'Globex Console' },
        { vendorOrgId: initech, productName: 'Initech Hub', versionRange: 'before 5.1' },
      ],
    });
    const state = (body: Record<string, unknown>) => coord('PUT', `/cases/${kase.id}/vulnerabilities/${vuln.id}/statement`, body);
    await state({ orgId: acme, status: 'fixed', fixedVersions: ['2.4.0'], advisoryUrl: 'https://acme.example/sa/7' });
    await state({
      orgId: globex,
      status: 'not_affected',
      justification: 'vulnerable_code_not_present',
      publicStatement: 'Globex Console quotes every argument.',
    });
    await state({ orgId: initech, status: 'under_investigation' });
    // A member (not an admin) of Acme, for the organization's keys.
    const operator = await e2e.api('operator');
    await operator('POST', `/orgs/${acme}/users`, {
      email: member.email,
      displayName: 'Max (Acme)',
      orgRole: 'member',
      password: member.password,
    });
  }, 240_000);

  afterAll(async () => {
    await e2e.stop();
  });

  it('the coordinator previews and releases a case; the vendor sees the link; the landing page lists every vendor', async () => {
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await page.goto(`/cases/${kase.id}`);
    const release = page.getByRole('region', { name: 'Release', exact: true });
    await release.getByText('not released').waitFor();
    await release.getByRole('button', { name: 'Preview the release' }).click();
    await release.getByText('Every document is valid.').waitFor({ timeout: 150_000 });
    await release.getByText(`CSAF 2.0 advisory ${kase.ref}`).waitFor();
    await release.getByText('CVE JSON 5.1 record CVE-2026-20001').waitFor();
    await release.getByText(/OSV record x_/).waitFor();
    await checkA11y(page, 'release preview');
    // The landing page as it would be, in a sandboxed frame.
    await release.getByRole('button', { name: 'Show the landing page preview' }).click();
    const frame = page.frameLocator('iframe.landing-preview');
    await frame.getByRole('cell', { name: 'Fixed', exact: true }).waitFor();
    await release.locator('iframe').scrollIntoViewIfNeeded();
    await release.screenshot({ path: path.join(SHOTS, '27-release-preview.png') });
    await release.getByRole('button', { name: 'Hide the landing page preview' }).click();

    // The confirmation, by keyboard: the field takes focus; the button stays off until the ref matches.
    await release.getByRole('button', { name: 'Release…' }).click();
    const field = release.getByLabel('Case ref');
    await expect.poll(() => field.evaluate((e) => e === document.activeElement)).toBe(true);
    const go = release.getByRole('button', { name: `Release ${kase.ref} now` });
    await page.keyboard.type('VC-0000-0000');
    expect(await go.isDisabled()).toBe(true);
    await field.fill('');
    await page.keyboard.type(kase.ref.toLowerCase());
    expect(await go.isEnabled()).toBe(true);
    await checkA11y(page, 'release confirmation');
    await release.screenshot({ path: path.join(SHOTS, '28-release-confirm.png') });
    await page.keyboard.press('Enter');

    // Focus moves to the status, which the form that had it made way for.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-live')), { timeout: 15_000 })
      .toBe('polite');
    await release.getByText('released', { exact: true }).waitFor({ timeout: 150_000 });
    for (const step of ['End the embargo and freeze the case', 'Validate them', 'Tell every participant and reporter'])
      await expect
        .poll(
          () =>
            release
              .getByRole('row', { name: new RegExp(step) })
              .getByText('done')
              .count(),
          { timeout: 15_000 },
        )
        .toBe(1);
    const link = release.getByRole('link', { name: kase.ref });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`/advisories/${kase.ref}$`));
    await expect.poll(() => release.getByRole('button', { name: /Release/ }).count()).toBe(0);
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'release done');
    await release.screenshot({ path: path.join(SHOTS, '29-release-done.png') });

    // On a phone: the section fits the screen.
    const phone = await e2e.newContext(PHONE);
    const ppage = await phone.newPage();
    await e2e.signIn(ppage, 'coordinator');
    await ppage.goto(`/cases/${kase.id}#release`);
    await ppage.getByRole('region', { name: 'Release', exact: true }).getByRole('link', { name: kase.ref }).waitFor();
    expect(await tooWide(ppage)).toEqual([]);
    await phone.close();

    // A vendor in the case: the status and the link, no steps, no button.
    const vctx = await e2e.newContext();
    const vendor = await vctx.newPage();
    await e2e.signIn(vendor, 'acme-networks.example');
    await vendor.goto(`/cases/${kase.id}`);
    const vrelease = vendor.getByRole('region', { name: 'Release', exact: true });
    await vrelease.getByRole('link', { name: kase.ref }).waitFor();
    expect(await vrelease.getByRole('table').count()).toBe(0);
    expect(await vrelease.getByRole('button').count()).toBe(0);
    await checkA11y(vendor, 'release, as a vendor');
    await vctx.close();

    // The public landing page, signed out.
    const pctx = await e2e.newContext();
    const pub = await pctx.newPage();
    await pub.goto(`/advisories/${kase.ref}`);
    const expected: Array<[string, string]> = [
      ['Acme Networks', 'Fixed'],
      ['Globex Wireless', 'Not affected'],
      ['Initech Systems', 'Under investigation'],
    ];
    for (const [vendorName, status] of expected) {
      const row = pub.getByRole('row', { name: new RegExp(vendorName) });
      await row.getByRole('cell', { name: status, exact: true }).waitFor();
    }
    await pub.getByText('CVE-2026-20001').first().waitFor();
    await look(pub, '30-advisory-landing-page');
    await pctx.close();
    await ctx.close();
    expect(e2e.problems).toEqual([]);
  }, 240_000);

  it('a user adds, reads and deletes an OpenPGP key; a bad key is refused with the reason', async () => {
    const key = await newKey('coordinator', 'coordinator@village.example');
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await page.goto('/account');
    const keys = page.getByRole('region', { name: 'My OpenPGP keys' });
    await keys.getByText('No keys yet.').waitFor();
    const field = keys.getByLabel('ASCII-armored public key');
    await field.fill('not a key');
    await keys.getByRole('button', { name: 'Add the key' }).click();
    await keys
      .getByRole('alert')
      .getByText(/not an ASCII-armored OpenPGP public key/)
      .waitFor();
    await field.fill(key.publicKey);
    await keys.getByRole('button', { name: 'Add the key' }).click();
    await keys.getByText(key.grouped).waitFor();
    await keys.getByText('usable', { exact: true }).waitFor();
    await keys.getByText('coordinator <coordinator@village.example>').waitFor();
    await keys.getByText('does not expire', { exact: false }).waitFor();
    await look(page, '31-account-openpgp-keys');
    await keys.getByRole('button', { name: `Delete key ${key.fingerprint}` }).click();
    await keys.getByText('No keys yet.').waitFor();
    await ctx.close();
    expect(e2e.problems).toEqual([]);
  }, 120_000);

  it("an organization's admin adds its key; a member reads it without the controls", async () => {
    const key = await newKey('psirt', 'psirt@acme-networks.example');
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'acme-networks.example');
    await page.getByRole('link', { name: 'My organization', exact: true }).click();
    const keys = page.getByRole('region', { name: 'Organization OpenPGP keys' });
    await keys.getByText('No keys yet.').waitFor();
    await keys.getByLabel('ASCII-armored public key').fill(key.publicKey);
    await keys.getByRole('button', { name: 'Add the key' }).click();
    await keys.getByText(key.grouped).waitFor();
    await page.waitForLoadState('networkidle');
    await checkA11y(page, "organization's keys, as an admin");
    await keys.screenshot({ path: path.join(SHOTS, '32-organization-openpgp-keys.png') });
    await ctx.close();

    const mctx = await e2e.newContext();
    const mpage = await mctx.newPage();
    await e2e.signIn(mpage, member);
    await mpage.getByRole('link', { name: 'My organization', exact: true }).click();
    const mkeys = mpage.getByRole('region', { name: 'Organization OpenPGP keys' });
    await mkeys.getByText(key.grouped).waitFor();
    await mkeys.getByText('Admins change these keys.', { exact: false }).waitFor();
    expect(await mkeys.getByRole('button').count()).toBe(0);
    expect(await mkeys.getByRole('textbox').count()).toBe(0);
    await checkA11y(mpage, "organization's keys, as a member");
    await mctx.close();
    expect(e2e.problems).toEqual([]);
  }, 120_000);
});
