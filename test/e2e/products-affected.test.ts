// Products, SBOMs, who is affected, an organization's page and a community's steward, in Chromium:
// a new vendor registers products and uploads SBOMs (progress on a slowed connection, a cycle as a
// warning, a malformed file refused with the problem's name, a version replaced); the coordinator of
// the demo case sees who ships the affected parser, directly or transitively with a path, invites
// the organization not yet in the case, and searches by purl with a vers range and with OSV events;
// an admin reads the members and the audit log a page at a time; the steward admits an application
// two members sponsored, suspends and reinstates a member, and ejects one after confirming.
// Every page visited passes axe-core, at laptop and phone widths; screenshots go to docs/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkA11y, E2E, hasChromium, type Login, look, PHONE, SHOTS, tooWide } from './browser.ts';

if (!hasChromium) console.warn('SKIPPED test/e2e/products-affected: no Chromium (apt-get install chromium)');

const JUICE_SHOP = path.resolve(import.meta.dirname, '../../../shared/data/sbom/cyclonedx/juice-shop-11.1.2.cdx.json');

/** A small CycloneDX 1.5 SBOM: product → each of `deps` (direct) → the rest of the chain. */
function cdx(product: string, version: string, chain: Array<[string, string]>, direct: Array<[string, string]> = []): string {
  const ref = (n: string) => `ref-${n}`;
  const comp = ([name, v]: [string, string]) => ({
    'bom-ref': ref(name),
    type: 'library',
    name,
    version: v,
    purl: `pkg:generic/${name}@${v}`,
  });
  const all = [...chain, ...direct];
  const deps = [
    { ref: ref(product), dependsOn: [...(chain[0] ? [ref(chain[0][0])] : []), ...direct.map(([n]) => ref(n))] },
    ...chain.slice(0, -1).map(([n], i) => ({ ref: ref(n), dependsOn: [ref((chain[i + 1] as [string, string])[0])] })),
  ];
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      component: {
        'bom-ref': ref(product),
        type: 'firmware',
        name: product,
        version,
        purl: `pkg:generic/${product}@${version}`,
      },
    },
    components: all.map(comp),
    dependencies: deps,
  });
}

const e2e = new E2E();
const hooli: Login = { email: 'hana@hooli.example', password: 'hooli-e2e-password-1' };
let demoCaseUrl = '';

async function openDemoCase(page: Page) {
  await page.goto('/cases');
  await page.getByRole('link', { name: /tlslite-embedded record parser/ }).click();
  await page.getByRole('heading', { name: /tlslite-embedded record parser/, level: 1 }).waitFor();
  demoCaseUrl = new URL(page.url()).pathname;
}

describe.skipIf(!hasChromium)('products, SBOMs, who is affected and stewardship in Chromium', () => {
  beforeAll(async () => {
    await e2e.start();
    // A vendor the demo does not have: an organization outside the case and the community.
    const operator = await e2e.api('operator');
    const org = await operator<{ id: string }>('POST', '/orgs', { slug: 'hooli', name: 'Hooli Devices', kind: 'vendor' });
    await operator('POST', `/orgs/${org.id}/users`, {
      email: hooli.email,
      displayName: 'Hana (Hooli PSIRT)',
      orgRole: 'admin',
      password: hooli.password,
    });
    // Acme ships the parser directly (arranged through the API; the browser uploads Hooli's SBOMs).
    const acme = await e2e.api('acme-networks.example');
    const me = await acme<{ user: { orgId: string } }>('GET', '/me');
    const ap = await acme<{ id: string }>('POST', `/orgs/${me.user.orgId}/products`, { name: 'Acme AP-200' });
    await acme(
      'PUT',
      `/orgs/${me.user.orgId}/products/${ap.id}/sboms/7.1`,
      cdx('acme-ap-200', '7.1', [], [['tlslite-embedded', '3.1.0']]),
    );
  }, 240_000);

  afterAll(async () => {
    await e2e.stop();
  });

  it('a vendor registers products and uploads SBOMs: progress, the import, a cycle warning, a named problem, a replacement', async () => {
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, hooli);
    await page.getByRole('link', { name: 'My products', exact: true }).click();
    await page.getByRole('heading', { name: 'My products', level: 1 }).waitFor();
    await page.getByText('No product registered yet.').waitFor();
    await checkA11y(page, 'my products, empty');

    await page.getByLabel('Product name').fill('Hooli Router');
    await page.getByLabel('Package URL (optional)').fill('pkg:generic/hooli-router');
    await page.getByRole('button', { name: 'Register' }).click();
    const router = page.getByRole('region', { name: 'Hooli Router' });
    await router.getByText('No SBOM uploaded yet.').waitFor();
    await router.getByLabel('Version', { exact: true }).fill('5.0');
    await router.getByLabel('SBOM file').setInputFiles({
      name: 'hooli-router-5.0.cdx.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        cdx('hooli-router', '5.0', [
          ['libhooli-net', '2.1.0'],
          ['tlslite-embedded', '3.2.1'],
        ]),
      ),
    });
    await router.getByRole('button', { name: 'Upload SBOM' }).click();
    await router.getByText(/hooli-router-5\.0\.cdx\.json imported as version 5\.0/).waitFor();
    await router.getByText(/CycloneDX JSON 1\.5, 2 components, 1 direct dependency/).waitFor();
    await router.getByText('No warnings.').waitFor();
    await router.getByRole('rowheader', { name: '5.0' }).waitFor();

    // A larger SBOM on a slowed connection: the progress shows while it is sent.
    await page.getByLabel('Product name').fill('Hooli Web Console');
    await page.getByRole('button', { name: 'Register' }).click();
    const console_ = page.getByRole('region', { name: 'Hooli Web Console' });
    await console_.getByLabel('Version', { exact: true }).fill('11.1.2');
    await console_.getByLabel('SBOM file').setInputFiles(JUICE_SHOP);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 400_000,
    });
    await console_.getByRole('button', { name: 'Upload SBOM' }).click();
    const progress = console_.getByRole('status').filter({ hasText: /Sending juice-shop-11\.1\.2\.cdx\.json: .* of 1\.8 MB/ });
    await progress.waitFor();
    expect(await console_.locator('progress').getAttribute('max')).toBe(String(fs.statSync(JUICE_SHOP).size));
    await checkA11y(page, 'an SBOM upload in progress');
    await console_.screenshot({ path: path.join(SHOTS, '20-sbom-upload-progress.png') });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await console_.getByText(/imported as version 11\.1\.2/).waitFor({ timeout: 60_000 });
    await console_.getByText(/1,115 components, 71 direct dependencies/).waitFor();
    // The shared sample has dependency cycles: accepted, each named in a warning.
    await console_.getByText(/\d+ warnings?:/).waitFor();
    expect(await console_.locator('.warnings li').first().textContent()).toMatch(/cycle/i);

    // A malformed file: refused with the problem's detail and its type.
    await console_.getByLabel('Version', { exact: true }).fill('11.1.3');
    await console_
      .getByLabel('SBOM file')
      .setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"bomFormat": "CycloneDX", ') });
    await console_.getByRole('button', { name: 'Upload SBOM' }).click();
    const refused = console_.getByRole('alert');
    await refused.getByText('The SBOM cannot be imported').waitFor();
    await refused.getByText('sbom-malformed').waitFor();
    await checkA11y(page, 'a refused SBOM');
    expect(await console_.getByRole('rowheader', { name: '11.1.3' }).count()).toBe(0);

    // CycloneDX XML that breaks its XSD: each error listed with its line.
    await console_.getByLabel('SBOM file').setInputFiles({
      name: 'bad.cdx.xml',
      mimeType: 'application/xml',
      buffer: Buffer.from(
        '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>\n' +
          '<component type="gadget"><name>a</name></component>\n<component type="library"><name>b</name><colour/></component>\n' +
          '</components></bom>',
      ),
    });
    await console_.getByRole('button', { name: 'Upload SBOM' }).click();
    await refused.getByText('sbom-schema').waitFor();
    await refused
      .getByText(/does not follow the CycloneDX 1\.6 XML schema: line 3: Element 'component', attribute 'type'/)
      .waitFor();
    expect(await refused.locator('li').allTextContents()).toEqual([
      expect.stringMatching(/^line 3: Element 'component', attribute 'type': \[facet 'enumeration'\] The value 'gadget'/),
      expect.stringMatching(/^line 4: Element 'colour': This element is not expected/),
    ]);
    await checkA11y(page, 'an SBOM refused by the CycloneDX XSD');
    expect(await console_.getByRole('rowheader', { name: '11.1.3' }).count()).toBe(0);

    // Replacing what 5.0 shipped: the row's button picks the version.
    await router.getByRole('button', { name: 'Replace the SBOM of 5.0' }).click();
    expect(await router.getByLabel('Version', { exact: true }).inputValue()).toBe('5.0');
    await router.getByText('Version 5.0 has an SBOM: this upload replaces what it shipped.').waitFor();
    await router.getByLabel('SBOM file').setInputFiles({
      name: 'hooli-router-5.0-r2.cdx.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        cdx(
          'hooli-router',
          '5.0',
          [
            ['libhooli-net', '2.1.1'],
            ['tlslite-embedded', '3.2.1'],
          ],
          [['zlib', '1.3.1']],
        ),
      ),
    });
    await router.getByRole('button', { name: 'Replace SBOM' }).click();
    await router.getByText(/imported as version 5\.0, replacing the earlier SBOM/).waitFor();
    await router.getByRole('row', { name: /5\.0/ }).getByText('3', { exact: true }).waitFor();
    expect(await router.getByRole('rowheader', { name: '5.0' }).count()).toBe(1);
    await look(page, '19-my-products');
    await ctx.close();
  });

  it('the coordinator sees who is affected, with a path, invites a suggested organization, and searches', async () => {
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await openDemoCase(page);
    const affected = page.locator('#affected');
    const table = affected.getByRole('table', { name: 'Affected products' });
    await table.waitFor();
    const acmeRow = table.getByRole('row', { name: /Acme Networks/ });
    await acmeRow.getByText('direct', { exact: true }).waitFor();
    await acmeRow.getByText('Acme AP-200 7.1').waitFor();
    const hooliRow = table.getByRole('row', { name: /Hooli Devices/ });
    await hooliRow.getByText('transitive', { exact: true }).waitFor();
    await hooliRow.getByText('Hooli Router 5.0').waitFor();
    // One dependency path: the product, the library that pulls it in, the parser.
    expect(
      await hooliRow
        .getByRole('list', { name: /Dependency path/ })
        .locator('li')
        .allTextContents(),
    ).toEqual(['Hooli Router@5.0', 'pkg:generic/libhooli-net@2.1.1', 'pkg:generic/tlslite-embedded@3.2.1']);
    // Acme is in the case; Hooli is suggested.
    await affected
      .getByText(/Hooli Devices/)
      .filter({ hasText: 'Hooli Devices' })
      .first()
      .waitFor();
    await affected.getByRole('button', { name: 'Invite Hooli Devices' }).waitFor();
    expect(await affected.getByRole('button', { name: /Invite Acme/ }).count()).toBe(0);
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'case: who is affected');
    await affected.screenshot({ path: path.join(SHOTS, '21-case-who-is-affected.png') });
    await affected.getByLabel('Highest TLP label for invitations').selectOption('AMBER+STRICT');
    await affected.getByRole('button', { name: 'Invite Hooli Devices' }).click();
    await page.locator('#participants').getByRole('rowheader', { name: 'Hooli Devices' }).waitFor();
    await affected.getByText('Every affected organization is in the case.').waitFor();
    await page
      .locator('#participants')
      .getByRole('row', { name: /Hooli Devices/ })
      .getByText('TLP:AMBER+STRICT')
      .waitFor();

    // The search page: a purl with a vers range, then OSV events.
    await affected.getByRole('link', { name: 'Search other components' }).click();
    await page.getByRole('heading', { name: 'Who is affected', level: 1 }).waitFor();
    await page.getByLabel('Package URL').fill('pkg:generic/tlslite-embedded');
    await page.getByLabel('Range').fill('vers:generic/>=3.2.0|<3.2.2');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const results = page.getByRole('table', { name: 'Search results' });
    await results.getByRole('rowheader', { name: 'Hooli Devices' }).waitFor();
    expect(await results.getByRole('rowheader', { name: 'Acme Networks' }).count()).toBe(0); // 3.1.0 is outside
    await page.getByRole('button', { name: 'OSV events' }).click();
    await page.getByLabel('Version of event 1').fill('3.0.0');
    await page.getByLabel('Version of event 2').fill('3.2.0');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await results.getByRole('rowheader', { name: 'Acme Networks' }).waitFor();
    expect(await results.getByRole('rowheader', { name: 'Hooli Devices' }).count()).toBe(0);
    // A bad range is the API's problem, shown as such.
    await page.getByRole('button', { name: 'vers range' }).click();
    await page.getByLabel('Range').fill('vers:generic/>=x|<<');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'OSV events' }).click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await results.getByRole('rowheader', { name: 'Acme Networks' }).waitFor();
    await page.getByRole('alert').waitFor({ state: 'detached' });
    await look(page, '22-who-is-affected-search');
    await ctx.close();

    // A vendor sees neither the section nor the search.
    const vctx = await e2e.newContext();
    const vendor = await vctx.newPage();
    await e2e.signIn(vendor, 'acme-networks.example');
    await openDemoCase(vendor);
    await vendor.locator('#participants').waitFor();
    await vendor.waitForLoadState('networkidle');
    expect(await vendor.locator('#affected').count()).toBe(0);
    expect(await vendor.getByRole('link', { name: 'Who is affected' }).count()).toBe(0);
    await vctx.close();
  });

  it('an admin reads the organization’s members and its audit log, a page at a time', async () => {
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await page.getByRole('link', { name: 'My organization', exact: true }).click();
    await page.getByRole('heading', { name: 'Village Coordination Center', level: 1 }).waitFor();
    const members = page.getByRole('table', { name: 'Members of my organization' });
    await members.getByRole('rowheader', { name: /Cora Coordinator \(you\)/ }).waitFor();
    await members.getByRole('rowheader', { name: 'Olive Operator' }).waitFor();
    const audit = page.getByRole('table', { name: 'Audit entries' });
    await audit.locator('tbody tr').first().waitFor();
    expect(await audit.locator('tbody tr').count()).toBe(25);
    const firstSeq = Number(await audit.locator('tbody tr td').first().textContent());
    await page.getByRole('button', { name: 'Older entries' }).click();
    await expect.poll(() => audit.locator('tbody tr').count()).toBeGreaterThan(25);
    const seqs = (await audit.locator('tbody tr td:first-child').allTextContents()).map(Number);
    expect(seqs[0]).toBe(firstSeq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a)); // newest first, no repeats
    expect(new Set(seqs).size).toBe(seqs.length);
    await look(page, '23-my-organization');
    await ctx.close();

    // The new vendor's admin sees its own uploads in its log.
    const hctx = await e2e.newContext();
    const hpage = await hctx.newPage();
    await e2e.signIn(hpage, hooli);
    await hpage.goto('/organization');
    const hAudit = hpage.getByRole('table', { name: 'Audit entries' });
    await hAudit.getByText('sbom.upload', { exact: true }).first().waitFor();
    await hAudit.getByText('product.create', { exact: true }).first().waitFor();
    await hpage.getByText('The beginning of the log.').waitFor();
    await hctx.close();
  });

  it('a steward admits an application two members sponsored, suspends and reinstates a member, and ejects one', async () => {
    // The applicant applies.
    const hctx = await e2e.newContext();
    const applicant = await hctx.newPage();
    await e2e.signIn(applicant, hooli);
    await applicant.getByRole('link', { name: 'Communities', exact: true }).click();
    await applicant.getByRole('link', { name: 'Demo Trust Circle' }).click();
    await applicant.getByRole('button', { name: 'Apply for membership' }).click();
    await applicant.getByText('your organization:').getByText('applied').waitFor();
    await hctx.close();

    // Two admitted members sponsor it.
    for (const who of ['acme-networks.example', 'globex-wireless.example']) {
      const ctx = await e2e.newContext();
      const page = await ctx.newPage();
      await e2e.signIn(page, who);
      await page.goto('/communities');
      await page.getByRole('link', { name: 'Demo Trust Circle' }).click();
      const apps = page.locator('#applications');
      await apps.getByRole('heading', { name: /Hooli Devices/ }).waitFor();
      await apps.getByRole('button', { name: 'Sponsor Hooli Devices' }).click();
      await apps.getByText('Your organization sponsors this application.').waitFor();
      if (who === 'acme-networks.example') await look(page, '24-community-sponsor');
      await ctx.close();
    }

    const ctx = await e2e.newContext();
    const page = await ctx.newPage();
    await e2e.signIn(page, 'coordinator');
    await page.goto('/communities');
    await page.getByRole('link', { name: 'Demo Trust Circle' }).click();
    const apps = page.locator('#applications');
    await apps
      .getByText(/Sponsored/)
      .first()
      .waitFor();
    await apps.getByText(/Still needed: .*approv/i).waitFor();
    await apps.getByRole('button', { name: 'Review Hooli Devices' }).click();
    const panel = page.locator('#member');
    await panel.getByRole('heading', { name: 'Membership of Hooli Devices' }).waitFor();
    await look(page, '25-community-application');
    await panel.getByRole('button', { name: 'Approve' }).click();
    // Two sponsors and now a steward's approval: the rule is met, and the approval admits (recorded as derived).
    await panel.getByText('Admitted (the admission rule is met)').waitFor();
    await panel.getByText('admitted', { exact: true }).first().waitFor();
    await page
      .getByRole('table', { name: 'Member organizations' })
      .getByRole('row', { name: /Hooli Devices/ })
      .getByText('admitted')
      .waitFor();
    await apps.getByText('No open application.').waitFor();

    // Suspended and reinstated, each with its reason on record.
    await page.getByRole('button', { name: 'Manage Initech Systems' }).click();
    await panel.getByRole('heading', { name: 'Membership of Initech Systems' }).waitFor();
    await panel.getByLabel('Reason (recorded)').fill('Leaked a draft advisory before release.');
    await panel.getByRole('button', { name: 'Suspend' }).click();
    await panel.getByText('suspended', { exact: true }).first().waitFor();
    await panel.getByText(/Leaked a draft advisory/).waitFor();
    await panel.getByRole('button', { name: 'Reinstate' }).click();
    await panel.getByText('Reinstated').waitFor();
    await page
      .getByRole('table', { name: 'Member organizations' })
      .getByRole('row', { name: /Initech Systems/ })
      .getByText('admitted')
      .waitFor();

    // Ejected, after a confirmation step that can be cancelled.
    await page.getByRole('button', { name: 'Manage Hooli Devices' }).click();
    await panel.getByRole('heading', { name: 'Membership of Hooli Devices' }).waitFor();
    await panel.getByLabel('Reason (recorded)').fill('Shared TLP:RED material outside the community.');
    await panel.getByRole('button', { name: 'Eject…' }).click();
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect(await panel.getByRole('button', { name: 'Yes, eject Hooli Devices' }).count()).toBe(0);
    await panel.getByRole('button', { name: 'Eject…' }).click();
    await panel.getByText(/Its access to every case of the community ends at once/).waitFor();
    await look(page, '26-community-eject-confirm');
    await panel.getByRole('button', { name: 'Yes, eject Hooli Devices' }).click();
    await page
      .getByRole('table', { name: 'Member organizations' })
      .getByRole('row', { name: /Hooli Devices/ })
      .getByText('ejected')
      .waitFor();
    await panel.getByText(/Shared TLP:RED material/).waitFor();
    await ctx.close();
  });

  it('the pages work on a phone', async () => {
    const ctx = await e2e.newContext(PHONE);
    const page = await ctx.newPage();
    await e2e.signIn(page, hooli);
    await page.goto('/products');
    await page.getByRole('region', { name: 'Hooli Web Console' }).getByRole('rowheader', { name: '11.1.2' }).waitFor();
    await look(page, 'phone-04-my-products');
    expect(await tooWide(page, { tables: true }), 'elements wider than the phone screen').toEqual([]);
    await page.goto('/organization');
    await page.getByRole('table', { name: 'Audit entries' }).waitFor();
    await look(page, 'phone-05-my-organization');
    expect(await tooWide(page, { tables: true }), 'elements wider than the phone screen').toEqual([]);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await e2e.signIn(page, 'coordinator');
    await page.goto(demoCaseUrl);
    await page.locator('#affected').getByRole('table', { name: 'Affected products' }).waitFor();
    await look(page, 'phone-06-case-who-is-affected');
    expect(await tooWide(page, { tables: true }), 'elements wider than the phone screen').toEqual([]);
    await page.goto('/affected');
    await page.getByLabel('Package URL').fill('pkg:generic/tlslite-embedded');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('table', { name: 'Search results' }).waitFor();
    await look(page, 'phone-07-who-is-affected-search');
    expect(await tooWide(page, { tables: true }), 'elements wider than the phone screen').toEqual([]);
    await page.goto('/communities');
    await page.getByRole('link', { name: 'Demo Trust Circle' }).click();
    await page.getByRole('table', { name: 'Member organizations' }).waitFor();
    await look(page, 'phone-08-community-steward');
    expect(await tooWide(page, { tables: true }), 'elements wider than the phone screen').toEqual([]);
    await ctx.close();
  });

  it('no page tripped the Content-Security-Policy or threw', () => {
    expect(e2e.problems).toEqual([]);
  });
});
