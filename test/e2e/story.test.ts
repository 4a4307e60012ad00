// The main story in a real browser (Debian's Chromium through playwright-core): a researcher
// reports through the intake form, the coordinator triages it and opens a case, invites three
// vendors, records the vulnerability with each vendor's products and proposes an embargo; the
// vendors are put in two tents, the second opening on schedule a few seconds later (the server's
// job opens it; the test only waits); each vendor (in its own browser context) acknowledges,
// accepts and states its status, and messages go back and forth under TLP labels; the coordinator
// accepts the embargo, previews and releases the case from its release section, and the public
// landing page (signed out) lists every vendor's status. Every page visited is checked with
// axe-core (any violation fails) and must not trip the Content-Security-Policy; screenshots of
// each page are taken (desktop 1280×800, and a phone pass at 390×844) for docs/screenshots/.
// Without /usr/bin/chromium the suite is skipped, and scripts/test.mjs says so.
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkA11y, E2E, hasChromium, look, PHONE, SHOTS, tooWide } from './browser.ts';

if (!hasChromium) console.warn('SKIPPED test/e2e: no Chromium at /usr/bin/chromium (apt-get install chromium)');

const e2e = new E2E();
/** What each vendor states in the story, as the case page and the landing page name it. */
const STATUSES = [
  ['Acme Networks', 'Fixed'],
  ['Globex Wireless', 'Affected'],
  ['Initech Systems', 'Not affected'],
] as const;
const newContext = (viewport?: { width: number; height: number }) => e2e.newContext(viewport);
const signIn = (page: Parameters<E2E['signIn']>[0], who: string) => e2e.signIn(page, who);

describe.skipIf(!hasChromium)('the main story in Chromium', () => {
  beforeAll(() => e2e.start(), 180_000);
  afterAll(() => e2e.stop());

  let replyPath = '';
  let caseUrl = '';
  let caseRef = '';
  let downstreamOpensAt = 0;
  const caseId = () => caseUrl.split('/').pop() as string;
  const releaseLocal = new Date(Date.now() + 30 * 86_400_000);
  // datetime-local wants the browser's local time (Europe/Brussels): format it there.
  const releaseInput = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Brussels',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .format(new Date(Date.UTC(releaseLocal.getUTCFullYear(), releaseLocal.getUTCMonth(), releaseLocal.getUTCDate(), 14, 0)))
    .replace(' ', 'T');

  it('a researcher reports a vulnerability through the intake form and reaches the private report page', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    const res = await page.goto('/report');
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: 'How we coordinate' }).waitFor();
    await look(page, '01-report-form');
    await page.getByLabel('Title').fill('Pre-auth heap overflow in WPA handshake parsing');
    await page
      .getByLabel('Description')
      .fill(
        'A crafted EAPOL-Key frame overflows a heap buffer in the 4-way handshake parser.\nAffects access points and clients.',
      );
    await page.getByLabel('Vendor').fill('Acme Networks');
    await page.getByLabel('Product', { exact: true }).fill('AcmeOS wireless stack');
    await page.getByLabel('Email').fill('rita@research.example');
    await page.getByLabel('Credit me as').fill('Rita Researcher');
    await page
      .locator('#r-files')
      .setInputFiles({ name: 'poc.txt', mimeType: 'text/plain', buffer: Buffer.from('proof of concept\n') });
    await page.getByRole('button', { name: 'Send the report' }).click();
    await page.getByRole('heading', { name: /your report is in/ }).waitFor();
    await look(page, '02-report-submitted');
    await page.getByRole('link', { name: 'Open my report' }).click();
    await page.getByRole('heading', { name: 'Conversation with the coordinator' }).waitFor();
    replyPath = new URL(page.url()).pathname;
    expect(replyPath).toMatch(/^\/reply\//);
    await look(page, '03-reporter-private-page');
    await ctx.close();
  });

  it('the coordinator signs in, triages the report and opens a case', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await page.goto('/sign-in');
    await look(page, '04-sign-in');
    await signIn(page, 'operator');
    await page.goto('/triage');
    await page.getByRole('link', { name: /Pre-auth heap overflow/ }).waitFor();
    await look(page, '05-triage-inbox');
    await page.getByRole('link', { name: /Pre-auth heap overflow/ }).click();
    await page.getByRole('heading', { name: 'Possible duplicates' }).waitFor();
    await page.getByLabel('Write to the reporter').fill('Thank you. We have reproduced it and will contact the vendors.');
    await page.getByRole('button', { name: 'Send to the reporter' }).click();
    await page.getByText('We have reproduced it').waitFor();
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page.getByRole('button', { name: 'Open a case' }).waitFor();
    await look(page, '06-triage-report');
    await page.getByLabel('Case title').fill('WPA handshake heap overflow (multi-vendor)');
    await page.getByRole('button', { name: 'Open a case' }).click();
    await page.getByRole('heading', { name: /WPA handshake heap overflow \(multi-vendor\)/ }).waitFor();
    caseUrl = new URL(page.url()).pathname;
    expect(caseUrl).toMatch(/^\/cases\//);
    await ctx.close();
  });

  it('the coordinator invites three vendors, adds the vulnerability and proposes an embargo', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, 'operator');
    await page.goto(caseUrl);
    for (const [vendor, ceiling] of [
      ['Acme Networks', 'AMBER'],
      ['Globex Wireless', 'AMBER+STRICT'],
      ['Initech Systems', 'RED'],
    ]) {
      await page.getByLabel('Organization').selectOption({ label: `${vendor} (vendor)` });
      await page.getByLabel('TLP ceiling').selectOption(ceiling as string);
      await page.getByRole('button', { name: 'Invite' }).click();
      await page.getByRole('rowheader', { name: vendor }).waitFor();
    }
    await page.getByLabel('Title', { exact: true }).fill('Heap overflow in EAPOL-Key parsing');
    await page.getByLabel('CVE id').fill('CVE-2026-10001');
    await page.getByLabel('CWE ids').fill('CWE-122');
    await page.getByLabel('CVSS 3.1 vector').fill('CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    await page.getByLabel('Products of Acme Networks').fill('AcmeOS wireless stack');
    await page.getByLabel('Products of Globex Wireless').fill('Globex AP firmware, Globex mesh node');
    await page.getByLabel('Products of Initech Systems').fill('Initech router');
    await page.getByRole('button', { name: 'Add vulnerability' }).click();
    await page.getByText(/CVSS 3.1 8.8 · AcmeOS wireless stack, Globex AP firmware, Globex mesh node, Initech router/).waitFor();
    await page.getByLabel('Propose a release date').fill(releaseInput);
    await page.getByRole('button', { name: 'Propose', exact: true }).click();
    await page.getByText(/proposes releasing on/).waitFor();
    await page.getByLabel('Subject').fill('Briefing');
    await page.getByLabel('TLP label', { exact: true }).first().selectOption('AMBER');
    await page
      .getByRole('textbox', { name: 'Message', exact: true })
      .fill('Details of the overflow and the proof of concept are attached. Please confirm.');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('Details of the overflow').waitFor();

    // Two tents: the fix providers at once, the downstream vendor a few seconds later; the
    // server's scheduled job opens it (nothing in the test does).
    const tents = page.locator('#tents');
    await tents.getByRole('button', { name: 'Set up tents…' }).click();
    const editor = tents.getByRole('form', { name: 'Set the tents' });
    const first = editor.getByRole('group', { name: /^Tent 1/ });
    // The button that opened the editor is gone: the keyboard continues in its first field.
    await expect.poll(() => first.getByLabel('Tent name').evaluate((e) => e === document.activeElement)).toBe(true);
    await first.getByLabel('Tent name').fill('Fix providers');
    await first.getByLabel('TLP ceiling').selectOption('RED');
    await first.getByLabel('Acme Networks').check();
    await first.getByLabel('Globex Wireless').check();
    await editor.getByRole('button', { name: 'Add a tent' }).click();
    const second = editor.getByRole('group', { name: /^Tent 2/ });
    await second.getByLabel('Tent name').fill('Downstream vendors');
    await second.getByLabel('TLP ceiling').selectOption('RED');
    await second.getByLabel('Initech Systems').check();
    await second.getByLabel('Opens').selectOption('absolute');
    downstreamOpensAt = Math.ceil((Date.now() + 15_000) / 1000) * 1000;
    // datetime-local wants the browser's local time (Europe/Brussels), to the second.
    const local = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Brussels',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .format(new Date(downstreamOpensAt))
      .replace(' ', 'T');
    await second.getByLabel('Opening time (your time zone)').fill(local);
    await checkA11y(page, 'tent editor');
    await tents.screenshot({ path: path.join(SHOTS, '35-case-tent-editor.png') });
    await editor.getByRole('button', { name: 'Save the tents' }).click();
    await editor.waitFor({ state: 'detached' });
    await tents
      .getByRole('row', { name: /Fix providers/ })
      .getByText('Open', { exact: true })
      .waitFor();
    await tents
      .getByRole('row', { name: /Downstream vendors/ })
      .getByText('Closed', { exact: true })
      .waitFor();
    expect(Date.now()).toBeLessThan(downstreamOpensAt);
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'case tents, one open and one scheduled');
    // Until its tent opens, the downstream vendor does not see the case.
    const initech = await e2e.api('initech-systems.example');
    expect((await initech<Array<{ id: string }>>('GET', '/cases')).map((c) => c.id)).not.toContain(caseId());
    await ctx.close();
  });

  it('each vendor, in its own browser, acknowledges, accepts the embargo, states its status and writes', async () => {
    const vendors: Array<[string, string, string]> = [
      ['acme-networks.example', 'fixed', 'GREEN'],
      ['globex-wireless.example', 'affected', 'AMBER+STRICT'],
      ['initech-systems.example', 'not_affected', 'RED'],
    ];
    for (const [i, [who, status, tlp]] of vendors.entries()) {
      const ctx = await newContext();
      const page = await ctx.newPage();
      await signIn(page, who);
      if (who === 'initech-systems.example') {
        // Its tent opens on schedule: the case appears in its list once the job has run.
        await expect
          .poll(
            async () => {
              await page.goto('/cases');
              await page.waitForLoadState('networkidle');
              return page.getByRole('link', { name: /WPA handshake heap overflow/ }).count();
            },
            { timeout: 60_000, interval: 1000 },
          )
          .toBe(1);
        expect(Date.now()).toBeGreaterThanOrEqual(downstreamOpensAt);
      } else {
        await page.goto('/cases');
      }
      await page.getByRole('link', { name: /WPA handshake heap overflow/ }).click();
      await page.getByRole('button', { name: 'Acknowledge' }).click();
      await page.getByRole('button', { name: 'Acknowledge' }).waitFor({ state: 'detached' });
      const accept = page.getByRole('button', { name: /^Accept (proposal|revision)$/ });
      if (await accept.count()) {
        await accept.click();
        await page
          .getByText('Your organization has answered.')
          .or(page.getByText('Active', { exact: true }))
          .first()
          .waitFor();
      }
      const form = page.locator('form.statement');
      await form.getByLabel('Status').selectOption(status);
      if (status === 'fixed' || status === 'affected') await form.getByLabel('Fixed versions').fill('4.2.1');
      await form.getByLabel('Public statement').fill(`Our statement on CVE-2026-10001 (${status}).`);
      await form.getByRole('button', { name: 'Save statement' }).click();
      await page
        .getByRole('table', { name: /Statements/ })
        .getByText(/Fixed|Affected|Not affected/)
        .first()
        .waitFor();
      await page.getByLabel('Subject').fill(`Status from ${who}`);
      await page.getByLabel('TLP label', { exact: true }).first().selectOption(tlp);
      await page.getByRole('textbox', { name: 'Message', exact: true }).fill(`We are on it (${status}).`);
      await page.getByRole('button', { name: 'Send message' }).click();
      await page.locator('#messages ol').getByText(`We are on it (${status}).`).waitFor();
      if (i === 0) {
        await look(page, '07-vendor-case');
        await page.goto('/statements');
        await page.getByRole('table', { name: 'My statements' }).waitFor();
        await look(page, '08-vendor-my-statements');
        await page.goto('/cases');
        await page.getByRole('link', { name: /WPA handshake heap overflow/ }).waitFor();
        await look(page, '09-vendor-my-cases');
      }
      await ctx.close();
    }
  });

  it('the coordinator sees the agreed embargo, every statement and every message with its TLP label', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, 'operator');
    await page.goto(caseUrl);
    // Every vendor has accepted; the coordinator's acceptance makes the terms active.
    await page.getByText('Accepted by: Acme Networks, Globex Wireless, Initech Systems').waitFor();
    await page.getByRole('button', { name: 'Accept proposal' }).click();
    await page.locator('#embargo').getByText('Active', { exact: true }).first().waitFor();
    const matrix = page.getByRole('table', { name: /Statements/ });
    await matrix.waitFor();
    for (const [vendor, status] of STATUSES) {
      await matrix
        .getByRole('row', { name: new RegExp(vendor) })
        .getByText(status, { exact: true })
        .waitFor();
    }
    await page.locator('#embargo').getByText('Active', { exact: true }).first().waitFor();
    await page.getByText('We are on it (not_affected).').waitFor();
    const labels = await page.locator('#messages ol .tlp').allTextContents();
    expect(new Set(labels)).toEqual(new Set(['TLP:AMBER', 'TLP:GREEN', 'TLP:AMBER+STRICT', 'TLP:RED']));
    // The official colours: TLP:RED is FF2B2B on black.
    const red = page.locator('#messages ol .tlp-red').first();
    expect(await red.evaluate((e) => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])).toEqual([
      'rgb(255, 43, 43)',
      'rgb(0, 0, 0)',
    ]);
    // Dates: the viewer's zone, UTC on hover.
    expect(await page.locator('time').first().getAttribute('title')).toMatch(/UTC$/);
    // The downstream tent opened on its schedule, not early.
    const downstream = page.locator('#tents').getByRole('row', { name: /Downstream vendors/ });
    await downstream.getByText('Open', { exact: true }).waitFor();
    expect(await downstream.getByText(/Opened early/).count()).toBe(0);
    await look(page, '10-coordinator-case');
    await page.goto('/cases');
    await page.getByRole('link', { name: /WPA handshake heap overflow/ }).waitFor();
    await look(page, '11-coordinator-dashboard');
    await page.goto('/account');
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await look(page, '12-account-security');
    await ctx.close();
  });

  it('the coordinator previews and releases the case; a vendor sees the link; the landing page lists every vendor', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, 'operator');
    await page.goto(caseUrl);
    caseRef = ((await page.getByRole('heading', { level: 1 }).textContent()) ?? '').split(':')[0] as string;
    expect(caseRef).toMatch(/^VC-\d{4}-\d{4}$/);
    const release = page.getByRole('region', { name: 'Release', exact: true });
    await release.getByText('not released').waitFor();
    await release.getByRole('button', { name: 'Preview the release' }).click();
    await release.getByText('Every document is valid.').waitFor({ timeout: 150_000 });
    await release.getByText('CVE JSON 5.1 record CVE-2026-10001').waitFor();
    await checkA11y(page, 'release preview');
    // The landing page as it would be, in a sandboxed frame.
    await release.getByRole('button', { name: 'Show the landing page preview' }).click();
    const frame = page.frameLocator('iframe.landing-preview');
    await frame.getByRole('cell', { name: 'Fixed', exact: true }).first().waitFor();
    await release.locator('iframe').scrollIntoViewIfNeeded();
    await release.screenshot({ path: path.join(SHOTS, '27-release-preview.png') });
    await release.getByRole('button', { name: 'Hide the landing page preview' }).click();

    // The confirmation, by keyboard: the field takes focus; the button stays off until the ref matches.
    await release.getByRole('button', { name: 'Release…' }).click();
    const field = release.getByLabel('Case ref');
    await expect.poll(() => field.evaluate((e) => e === document.activeElement)).toBe(true);
    const go = release.getByRole('button', { name: `Release ${caseRef} now` });
    await page.keyboard.type('VC-0000-0000');
    expect(await go.isDisabled()).toBe(true);
    await field.fill('');
    await page.keyboard.type(caseRef.toLowerCase());
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
    const link = release.getByRole('link', { name: caseRef });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`/advisories/${caseRef}$`));
    await expect.poll(() => release.getByRole('button', { name: /Release/ }).count()).toBe(0);
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'release done');
    await release.screenshot({ path: path.join(SHOTS, '29-release-done.png') });
    await ctx.close();

    // A vendor in the case: the status and the link, no steps, no button.
    const vctx = await newContext();
    const vendor = await vctx.newPage();
    await signIn(vendor, 'acme-networks.example');
    await vendor.goto(caseUrl);
    const vrelease = vendor.getByRole('region', { name: 'Release', exact: true });
    await vrelease.getByRole('link', { name: caseRef }).waitFor();
    expect(await vrelease.getByRole('table').count()).toBe(0);
    expect(await vrelease.getByRole('button').count()).toBe(0);
    await checkA11y(vendor, 'release, as a vendor');
    await vctx.close();

    // The public landing page, signed out: every vendor's status.
    const pctx = await newContext();
    const pub = await pctx.newPage();
    await pub.goto(`/advisories/${caseRef}`);
    for (const [vendorName, status] of STATUSES) {
      await pub
        .getByRole('row', { name: new RegExp(vendorName) })
        .getByRole('cell', { name: status, exact: true })
        .first()
        .waitFor();
    }
    await pub.getByText('CVE-2026-10001').first().waitFor();
    await look(pub, '30-advisory-landing-page');
    await pctx.close();
  }, 240_000);

  it('a steward runs the trust community; the tents of a community case; a vendor meets the NDA gate', async () => {
    // The demo's community (Demo Trust Circle): the coordinator is its steward, every demo organization a member,
    // and the demo case was opened in it with the community's tent template.
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, 'coordinator');
    await page.getByRole('link', { name: 'Communities', exact: true }).click();
    await page.getByRole('link', { name: 'Demo Trust Circle' }).click();
    await page.getByRole('heading', { name: 'Demo Trust Circle', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'NDA acceptances' }).waitFor();
    await page.getByRole('button', { name: 'Manage Acme Networks' }).click();
    await page.getByRole('heading', { name: 'What Acme Networks has seen' }).waitFor();
    await page.getByRole('table', { name: 'Exposure of Acme Networks' }).waitFor();
    await look(page, '15-community');
    const communityUrl = new URL(page.url()).pathname;

    await page.getByRole('link', { name: 'Cases', exact: true }).click();
    await page.getByRole('link', { name: /tlslite-embedded record parser/ }).click();
    const tents = page.locator('#tents');
    await tents.getByRole('img', { name: 'When each tent opens, from now to the release date' }).waitFor();
    await tents.getByRole('rowheader', { name: 'Fix providers' }).waitFor();
    expect(await tents.locator('svg .mark').count()).toBe(5);
    // The text alternative names each tent and when it opens.
    expect(await tents.locator('svg desc').textContent()).toMatch(
      /Fix providers \(TLP:RED\) is open.*Everyone \(TLP:CLEAR\) opens/,
    );
    await tents.getByRole('button', { name: 'Open early Enablers (distributors, cloud providers, OEMs)' }).click();
    await tents.getByLabel('Reason for opening early').fill('An OEM ships the parser in a product line of its own.');
    await tents.getByRole('button', { name: 'Open now' }).click();
    await tents
      .getByRole('row', { name: /Enablers/ })
      .getByText(/Opened early: An OEM ships/)
      .waitFor();
    await page.getByRole('button', { name: 'Show my briefing' }).click();
    await page
      .getByRole('region', { name: 'Briefing packet' })
      .getByText(/tlslite-embedded/)
      .first()
      .waitFor();
    await page.waitForLoadState('networkidle');
    await checkA11y(page, 'case tents');
    await tents.screenshot({ path: path.join(SHOTS, '16-case-tents.png') });

    // A new NDA version: everyone accepts it again before the next read.
    await page.goto(communityUrl);
    await page.getByRole('button', { name: 'Publish a new version…' }).click();
    await page.getByLabel('Agreement text').fill('Demo Trust Circle — participation agreement (version 2)\n\n1. As before.\n');
    await page.getByRole('button', { name: 'Publish version 2' }).click();
    // The NDA section (not only the community's summary) shows the new version.
    await page
      .locator('summary')
      .filter({ hasText: /Version 2, published/ })
      .waitFor();
    await ctx.close();

    const vctx = await newContext();
    const vendor = await vctx.newPage();
    await signIn(vendor, 'acme-networks.example');
    await vendor.goto('/cases');
    await vendor.getByRole('link', { name: /NDA acceptance required/ }).click();
    await vendor.getByRole('heading', { name: 'Demo Trust Circle: NDA acceptance required' }).waitFor();
    await vendor.getByRole('region', { name: 'Agreement, version 2' }).getByText('As before.').waitFor();
    await look(vendor, '17-nda-gate');
    await vendor.getByRole('button', { name: 'I accept version 2' }).click();
    await vendor.getByRole('heading', { name: /tlslite-embedded record parser/, level: 1 }).waitFor();
    await vendor.locator('#tents').getByRole('rowheader', { name: 'Fix providers' }).waitFor();
    await look(vendor, '18-vendor-community-case');
    await vctx.close();
  });

  it('a user sets up an authenticator app and a passkey, then signs in with each', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    // A virtual authenticator (Chromium's WebAuthn domain of the DevTools protocol) stands in for a security key.
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    await signIn(page, 'coordinator');
    await page.goto('/account');
    await page.getByLabel('Name for the new passkey').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('button', { name: 'Remove Test laptop' }).waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('#totp code.secret').textContent()) ?? '';
    await page.getByLabel('Code from the app').fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Your recovery codes.').waitFor();
    const recovery = (await page.locator('.codes code').first().textContent()) ?? '';
    await look(page, '13-account-second-factors');

    // Password, then the second factor (a recovery code: the app's code was just used).
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    const l = e2e.logins.coordinator as { email: string; password: string };
    await page.getByLabel('Email').fill(l.email);
    await page.getByLabel('Password').fill(l.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Authentication code').waitFor();
    await look(page, '14-sign-in-second-factor');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recovery);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();

    // A passkey alone (a discoverable credential: no email needed).
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    expect(await page.getByText('Cora Coordinator').count()).toBeGreaterThan(0);
    await ctx.close();
  });

  it('the pages work on a phone', async () => {
    const ctx = await newContext(PHONE);
    const page = await ctx.newPage();
    await page.goto('/report');
    await page.getByRole('heading', { name: 'How we coordinate' }).waitFor();
    await look(page, 'phone-01-report-form');
    await page.goto(replyPath);
    await page.getByRole('heading', { name: 'Conversation with the coordinator' }).waitFor();
    await look(page, 'phone-02-reporter-private-page');
    await signIn(page, 'operator');
    await page.goto(caseUrl);
    await page.getByRole('table', { name: /Statements/ }).waitFor();
    await look(page, 'phone-03-coordinator-case');
    // Nothing wider than the screen except scrollable tables (the released case's section included).
    await page.getByRole('region', { name: 'Release', exact: true }).getByRole('link', { name: caseRef }).waitFor();
    expect(await tooWide(page), 'elements wider than the phone screen').toEqual([]);
    await ctx.close();
  });

  it('no page tripped the Content-Security-Policy or threw', () => {
    expect(e2e.problems).toEqual([]);
  });
});
