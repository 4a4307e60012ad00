// A failed release, feeds and OpenPGP keys in Chromium. (The successful release is part of the
// main story, story.test.ts.) A release stopped by an invalid document shows on the case page where
// it stopped (the step), which test failed and at which JSON path; the vendor corrects its
// statement and the coordinator releases again. An operator manages the feeds (add, validation
// errors from the API at their fields, poll now with its outcome or error, edit, disable, remove).
// A user adds, reads and deletes their OpenPGP key (a bad key is refused with the reason); an
// organization's admin adds its key, a member reads it without the controls.
// Every page visited passes axe-core; screenshots go to docs/screenshots/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKeyPair } from '../support/pgp.ts';
import { checkA11y, E2E, hasChromium, type Login, look, PHONE, SHOTS, tooWide } from './browser.ts';

if (!hasChromium) console.warn('SKIPPED test/e2e/release: no Chromium (apt-get install chromium)');

const e2e = new E2E();
const member: Login = { email: 'max@acme-networks.example', password: 'acme-member-e2e-password-1' };
let kase: { id: string; ref: string };

async function newKey(name: string, email: string) {
  const k = await makeKeyPair(email);
  const grouped = k.fingerprint.replace(/(.{4})(?=.)/g, '$1 ');
  return { publicKey: k.publicArmored, fingerprint: k.fingerprint, grouped, name };
}

describe.skipIf(!hasChromium)('release and OpenPGP keys in Chromium', () => {
  beforeAll(async () => {
    await e2e.start();
    // A case with one vendor whose statement gives a range as its "fixed version": CSAF mandatory
    // test 6.1.31 refuses it, so the release stops at validation (arranged through the API).
    const coord = await e2e.api('coordinator');
    const acme = (await (await e2e.api('acme-networks.example'))<{ user: { orgId: string } }>('GET', '/me')).user.orgId;
    kase = await coord('POST', '/cases', {
      title: 'Gadget firmware command injection',
      summary: 'The web console passes the host name to a shell.',
      reportIds: [],
    });
    await coord('POST', `/cases/${kase.id}/participants`, { orgId: acme, role: 'vendor' });
    const vuln = await coord<{ id: string }>('POST', `/cases/${kase.id}/vulnerabilities`, {
      cveId: 'CVE-2026-20001',
      title: 'Command injection in the gadget web console',
      description: 'The diagnostics page passes the host name to a shell without quoting it.',
      cweIds: ['CWE-78'],
      cvss31: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
      products: [{ vendorOrgId: acme, productName: 'Acme Gadget', purl: 'pkg:npm/acme-gadget', versionRange: 'vers:npm/<2.4.0' }],
    });
    await coord('PUT', `/cases/${kase.id}/vulnerabilities/${vuln.id}/statement`, {
      orgId: acme,
      status: 'fixed',
      fixedVersions: ['< 2.4.0'],
    });
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

  it('a release stopped by an invalid document says where and why; fixed, it is released again', async () => {
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await page.goto(`/cases/${kase.id}#release`);
    const release = page.getByRole('region', { name: 'Release', exact: true });
    await release.getByRole('button', { name: 'Release…' }).click();
    await release.getByLabel('Case ref').fill(kase.ref);
    await release.getByRole('button', { name: `Release ${kase.ref} now` }).click();
    await release.getByText('release failed', { exact: true }).waitFor({ timeout: 60_000 });
    // The step, the document, the test and the JSON path.
    const failure = release.getByRole('region', { name: 'The release stopped at “Validate them”' });
    await failure.getByText(`CSAF document ${kase.ref} is invalid`).waitFor();
    const why = failure.getByRole('table', { name: 'Why the release stopped' });
    const row = why.getByRole('row', { name: /CSAF mandatory test 6\.1\.31/ });
    await row.getByText('mandatoryTest_6_1_31').waitFor();
    expect(await row.locator('code.json-path').textContent()).toMatch(/^\/product_tree\//);
    await failure.getByText(/vendors may still correct their statements/).waitFor();
    // The steps: frozen and built, stopped at validation, nothing after it.
    const steps = release.getByRole('table', { name: 'Release steps' });
    await steps
      .getByRole('row', { name: /Validate them/ })
      .getByText('failed')
      .waitFor();
    expect(
      await steps
        .getByRole('row', { name: /End the embargo and freeze the case/ })
        .getByText('done')
        .count(),
    ).toBe(1);
    expect(
      await steps
        .getByRole('row', { name: /Sign them/ })
        .getByText('done')
        .count(),
    ).toBe(0);
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'release failed');
    await release.screenshot({ path: path.join(SHOTS, '33-release-failed.png') });

    // The vendor corrects its statement: a fixed version, not a range.
    const vctx = await e2e.newContext();
    const vendor = await vctx.newPage();
    await e2e.signIn(vendor, 'acme-networks.example');
    await vendor.goto(`/cases/${kase.id}`);
    const form = vendor.locator('form.statement');
    await form.getByLabel('Fixed versions').fill('2.4.0');
    await form.getByRole('button', { name: 'Save statement' }).click();
    await vendor
      .getByRole('table', { name: /Statements/ })
      .getByText('fixed in 2.4.0')
      .waitFor();
    await vctx.close();

    // The coordinator releases again; the steps already done are not repeated.
    await page.reload();
    await release.getByRole('button', { name: 'Release again…' }).click();
    await release.getByLabel('Case ref').fill(kase.ref);
    await release.getByRole('button', { name: `Release ${kase.ref} now` }).click();
    await release.getByText('released', { exact: true }).waitFor({ timeout: 60_000 });
    await release.getByRole('link', { name: kase.ref }).waitFor();
    expect(await release.getByRole('region', { name: /The release stopped/ }).count()).toBe(0);
    await ctx.close();
    expect(e2e.problems).toEqual([]);
  }, 180_000);

  it("an operator adds, polls, edits, disables and removes feeds; the API's validation errors show at their fields", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'village-feeds-'));
    const kev = path.join(dir, 'kev.json');
    const entry = (cveID: string, product: string) => ({
      cveID,
      vendorProject: 'Acme',
      product,
      vulnerabilityName: `Acme ${product} flaw`,
      dateAdded: '2026-11-20',
      shortDescription: 'Exploited in the wild.',
      requiredAction: 'Apply the update.',
      dueDate: '2026-12-11',
    });
    fs.writeFileSync(
      kev,
      JSON.stringify({
        title: 'CISA Catalog of Known Exploited Vulnerabilities',
        catalogVersion: '2026.11.23',
        dateReleased: '2026-11-23T12:00:00.000Z',
        count: 2,
        vulnerabilities: [entry('CVE-2026-30001', 'Gadget'), entry('CVE-2026-30002', 'Hub')],
      }),
    );
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'operator');
    await page.getByRole('link', { name: 'Feeds', exact: true }).click();
    await page.getByRole('heading', { name: 'Feeds', level: 1 }).waitFor();
    const form = page.getByRole('region', { name: 'Add a feed' });
    // An RSS feed without its URL: the API's field error, at the field.
    await form.getByLabel('Kind').selectOption('rss');
    await form.getByLabel('Name').fill('Vendor news');
    await form.getByRole('button', { name: 'Add the feed' }).click();
    const url = form.getByLabel('URL');
    await form
      .locator('#feed-url-error')
      .getByText(/an RSS\/Atom feed needs its url/)
      .waitFor();
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.getAttribute('aria-describedby')).toContain('feed-url-error');
    await checkA11y(page, 'feeds, a validation error');
    // A relative path, and an interval under a minute: both named.
    await form.getByLabel('Kind').selectOption('kev');
    await form.getByLabel('Local file (optional)').fill('kev.json');
    await form.getByLabel('Poll every (minutes)').fill('0.5');
    await form.getByRole('button', { name: 'Add the feed' }).click();
    await form.locator('#feed-path-error').getByText('the path must be absolute').waitFor();
    await form.locator('#feed-every-error').waitFor();

    // A KEV feed read from a file, and one whose file is missing.
    await form.getByLabel('Name').fill('CISA KEV (mirror)');
    await form.getByLabel('Local file (optional)').fill(kev);
    await form.getByLabel('Poll every (minutes)').fill('60');
    await form.getByRole('button', { name: 'Add the feed' }).click();
    const feeds = page.getByRole('table', { name: 'Feeds' });
    await feeds.getByRole('rowheader', { name: 'CISA KEV (mirror)' }).waitFor();
    await form.getByLabel('Kind').selectOption('osv');
    await form.getByLabel('Name').fill('OSV drop');
    await form.getByLabel('Local file (optional)').fill(path.join(dir, 'missing.json'));
    await form.getByRole('button', { name: 'Add the feed' }).click();
    await feeds.getByRole('rowheader', { name: 'OSV drop' }).waitFor();

    // Poll now: the outcome, or the error, on each row.
    const kevRow = feeds.getByRole('row', { name: /CISA KEV \(mirror\)/ });
    await kevRow.getByRole('button', { name: 'Poll now CISA KEV (mirror)' }).click();
    await kevRow.getByText('polling…').waitFor({ state: 'detached', timeout: 30_000 });
    await kevRow.getByText('2 items').waitFor();
    const osvRow = feeds.getByRole('row', { name: /OSV drop/ });
    await osvRow.getByRole('button', { name: 'Poll now OSV drop' }).click();
    await osvRow.getByText('polling…').waitFor({ state: 'detached', timeout: 30_000 });
    await osvRow.getByText('last poll failed').waitFor();
    await osvRow.getByText(/ENOENT|no such file/).waitFor();
    await look(page, '34-feeds');

    // Edit (the form takes the feed), disable, remove after a confirmation.
    await kevRow.getByRole('button', { name: 'Edit CISA KEV (mirror)' }).click();
    const edit = page.getByRole('region', { name: 'Edit “CISA KEV (mirror)”' });
    await expect.poll(() => edit.getByLabel('Name').evaluate((e) => e === document.activeElement)).toBe(true);
    await edit.getByLabel('Poll every (minutes)').fill('15');
    await edit.getByRole('button', { name: 'Save the feed' }).click();
    await kevRow.getByText('every 15 minutes').waitFor();
    await kevRow.getByRole('button', { name: 'Disable CISA KEV (mirror)' }).click();
    await kevRow.getByText('disabled', { exact: true }).waitFor();
    await osvRow.getByRole('button', { name: 'Remove OSV drop' }).click();
    // The keyboard lands on the safe choice.
    await expect
      .poll(() => osvRow.getByRole('button', { name: 'Keep it' }).evaluate((e) => e === document.activeElement))
      .toBe(true);
    await page.keyboard.press('Enter');
    await osvRow.getByRole('button', { name: 'Remove OSV drop' }).click();
    await osvRow.getByRole('button', { name: 'Remove now' }).click();
    await feeds.getByRole('rowheader', { name: 'OSV drop' }).waitFor({ state: 'detached' });
    await checkA11y(page, 'feeds, after changes');

    // On a phone, the page fits (the table scrolls on its own).
    const phone = await e2e.newContext(PHONE);
    const ppage = await phone.newPage();
    await e2e.signIn(ppage, 'operator');
    await ppage.goto('/feeds');
    await ppage.getByRole('rowheader', { name: 'CISA KEV (mirror)' }).waitFor();
    expect(await tooWide(ppage)).toEqual([]);
    await checkA11y(ppage, 'feeds on a phone');
    await phone.close();

    // Only operators: others are told so, and the menu has no link.
    const vctx = await e2e.newContext();
    const vendor = await vctx.newPage();
    await e2e.signIn(vendor, 'acme-networks.example');
    expect(await vendor.getByRole('link', { name: 'Feeds', exact: true }).count()).toBe(0);
    await vendor.goto('/feeds');
    await vendor.getByText("Feeds are managed by the instance's operators.").waitFor();
    await vctx.close();
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(e2e.problems).toEqual([]);
  }, 180_000);

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
