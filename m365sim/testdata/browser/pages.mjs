// Real-browser checks of the Microsoft 365 simulator's user-facing pages:
// the inspection page and Entra's sign-in, hint and error pages. Driven by
// browser_test.go (go test -run Browser ./m365sim/) with Debian's Chromium
// through playwright-core; it never downloads a browser.
//
// Environment:
//   SIM_INSPECT_URL   the inspection page, e.g. http://127.0.0.1:PORT/inspect
//   SIM_LOGIN_URL     Entra's base URL, e.g. http://127.0.0.1:PORT/login
//   SIM_TENANT_ID     the demo tenant (Contoso) id
//   SIM_CLIENT_ID     the Steward app's client id
//   SIM_CLIENT_SECRET the Steward app's secret in that tenant
//   SCREENSHOT_DIR    where PNG screenshots go
//   AXE_PATH          node_modules/axe-core/axe.min.js
//   CHROMIUM_PATH     default /usr/bin/chromium
//
// Prints one JSON line, {"ok":true,"checks":[...],"screenshots":[...],"axe":{...}}
// or {"ok":false,"errors":[...],...}, and exits non-zero on failure.
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined || v === '') throw new Error(`pages.mjs: ${k} is not set`);
  return v;
};

const INSPECT = env('SIM_INSPECT_URL');
const LOGIN = env('SIM_LOGIN_URL').replace(/\/$/, '');
const TENANT = env('SIM_TENANT_ID');
const CLIENT_ID = env('SIM_CLIENT_ID');
const CLIENT_SECRET = env('SIM_CLIENT_SECRET');
const SHOTS = env('SCREENSHOT_DIR');
const AXE_PATH = env('AXE_PATH');
const CHROMIUM = env('CHROMIUM_PATH', '/usr/bin/chromium');
const REDIRECT = 'http://127.0.0.1:8080/auth/callback';
const SCOPE = 'openid profile offline_access User.Read';
const USER = { name: 'Adele Vance', upn: 'adele.vance@contoso.onmicrosoft.com' };
const HINTED = { name: 'Alex Wilber', upn: 'alex.wilber@contoso.onmicrosoft.com' };
const BAD_REDIRECT = 'http://evil.example/steal';

// Bugs these checks found in the pages, reported and not yet fixed: their
// failures are notes ("known bug") instead of errors, so the run stays green
// while the fix is pending; once a check passes, a note says to drop it.
const KNOWN = new Map([]);
const knownSeen = new Set();

const checks = [];
const errors = [];
const notes = [];
const screenshots = [];
const axeReport = {};

const ok = (name) => checks.push(name);
const fail = (msg) => errors.push(msg);
const expect = (cond, name, detail) => {
  const why = () => (typeof detail === 'function' ? detail() : detail ?? 'failed');
  if (KNOWN.has(name)) {
    knownSeen.add(name);
    if (cond) notes.push(`known bug no longer seen, drop it from KNOWN: ${name}`);
    else notes.push(`known bug (reported): ${name}: ${why()} -- ${KNOWN.get(name)}`);
    return;
  }
  cond ? ok(name) : fail(`${name}: ${why()}`);
};

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Every page records console errors and warnings, uncaught exceptions and
// CSP violations. expectedStatus: the document's own non-2xx status, which
// Chromium logs as "Failed to load resource" (an error page answering 400).
function watch(page, label, expectedStatus) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    if (expectedStatus && m.location().url === page.url() && m.text().includes(`status of ${expectedStatus} `)) return;
    problems.push(`${label}: console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  return problems;
}

// Runs in the page before its own content: CSP violations as events too
// (Chromium also logs them to the console, which watch() catches).
const initScript = () => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`);
  });
};

async function shot(page, name, opts = {}) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true, ...opts });
  screenshots.push(file);
}

// axe-core in a context that bypasses CSP: the pages' CSP (default-src
// 'none', no script-src) rightly blocks the injected script, so the audit
// gets its own context; the CSP itself is checked in the normal contexts.
async function axe(browser, url, label, { colorScheme = 'light', viewport, prepare } = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, colorScheme, viewport: viewport ?? { width: 1280, height: 900 } });
  try {
    await ctx.route('http://127.0.0.1:8080/**', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>callback</title>' }));
    const page = await ctx.newPage();
    const resp = await page.goto(url);
    if (prepare) await prepare(page);
    await page.addScriptTag({ path: AXE_PATH });
    const res = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations', 'incomplete'] });
      const slim = (v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })).slice(0, 5), count: v.nodes.length });
      return { violations: r.violations.map(slim), incomplete: r.incomplete.map(slim) };
    });
    axeReport[label] = res;
    const severe = (v) => v.impact === 'serious' || v.impact === 'critical';
    for (const v of res.violations) {
      const key = `axe ${label}: ${v.id}`;
      if (KNOWN.has(key)) expect(false, key, () => `${v.impact}: ${v.help}: ${JSON.stringify(v.nodes)}`);
      else if (!severe(v)) notes.push(`axe ${label}: ${v.impact} ${v.id} (${v.count} nodes): ${v.help}`);
    }
    for (const [key] of KNOWN) if (key.startsWith(`axe ${label}: `) && !res.violations.some((v) => key === `axe ${label}: ${v.id}`)) expect(true, key);
    const bad = res.violations.filter((v) => severe(v) && !KNOWN.has(`axe ${label}: ${v.id}`));
    expect(bad.length === 0, `axe ${label}: no serious or critical violations`, () => JSON.stringify(bad));
    return resp;
  } finally {
    await ctx.close();
  }
}

// Tabs through a page and returns every focus stop with its focused and
// unfocused outline, box shadow and background.
async function tabStops(page, max = 80) {
  await page.evaluate(() => {
    const look = (el) => {
      const cs = getComputedStyle(el);
      return { outlineStyle: cs.outlineStyle, outlineWidth: cs.outlineWidth, outlineColor: cs.outlineColor, boxShadow: cs.boxShadow, background: cs.backgroundColor, border: cs.borderTopColor + ' ' + cs.borderTopWidth };
    };
    window.__look = look;
    window.__rest = new Map();
    for (const el of document.querySelectorAll('*')) window.__rest.set(el, look(el));
  });
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      const now = window.__look(el);
      const rest = window.__rest.get(el) ?? {};
      const outlined = now.outlineStyle !== 'none' && parseFloat(now.outlineWidth) > 0;
      // Non-text contrast (WCAG 1.4.11) of the outline against the page.
      const rgb = (c) => (c.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => [r, g, b].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
      const [hi, lo] = [lum(rgb(now.outlineColor)), lum(rgb(getComputedStyle(document.body).backgroundColor))].sort((a, b) => b - a);
      now.contrast = Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
      const changed = now.outlineStyle !== rest.outlineStyle || now.outlineWidth !== rest.outlineWidth || now.boxShadow !== rest.boxShadow;
      if (!el.id) el.dataset.stop = el.dataset.stop || String(Math.random());
      return {
        key: el.id || el.dataset.stop, tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80),
        href: el.getAttribute('href'), focusVisible: el.matches(':focus-visible'), visibleIndicator: outlined && changed, now, rest,
      };
    });
    if (!s || (stops.length && s.key === stops[0].key)) break;
    stops.push(s);
  }
  return stops;
}

async function inspectPage(browser) {
  // Light, desktop: content, console, CSP, keyboard.
  const ctx = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(initScript);
  const page = await ctx.newPage();
  const problems = watch(page, 'inspect');
  const resp = await page.goto(INSPECT, { waitUntil: 'load' });
  expect(resp.status() === 200, 'inspect: 200', `status ${resp.status()}`);
  expect((resp.headers()['content-security-policy'] || '').includes("default-src 'none'"), "inspect: CSP default-src 'none'", resp.headers()['content-security-policy']);
  expect((await page.title()).includes('Microsoft 365 simulator'), 'inspect: title', await page.title());
  const stylesheetApplied = await page.evaluate(() => getComputedStyle(document.body).margin === '0px');
  expect(stylesheetApplied, 'inspect: stylesheet /inspect/style.css applied under the CSP', 'body margin is not 0: style.css did not load');

  for (const t of ['Contoso', 'Fabrikam']) {
    expect(await page.locator('summary', { hasText: t }).first().isVisible(), `inspect: tenant ${t} shown`, 'no visible summary');
  }
  const contoso = page.locator('details', { has: page.locator('summary', { hasText: 'Contoso' }) }).first();
  expect(await contoso.getByRole('cell', { name: 'Steward', exact: true }).first().isVisible(), 'inspect: Steward app listed in Contoso', 'no Steward cell');
  expect(await contoso.getByText(CLIENT_ID).first().isVisible(), 'inspect: Steward client id shown', 'client id not visible');
  expect(await contoso.locator('summary', { hasText: /^Users \(\d+\)$/ }).count() === 1, 'inspect: Contoso users disclosure', 'no "Users (N)" summary');
  expect(!(await page.locator('pre', { hasText: 'steward-dev-secret' }).count()) && !(await page.content()).includes('steward-dev-secret'), 'inspect: no app secret in the page', 'a client secret is in the page');

  // Keyboard: every summary and link is a tab stop with a visible indicator,
  // in both colour schemes.
  const keyboard = async (p, scheme) => {
    const stops = await tabStops(p);
    const summaries = await p.locator('summary').count();
    const links = await p.locator('a[href]').count();
    const tabbedSummaries = stops.filter((s) => s.tag === 'summary');
    const tabbedLinks = stops.filter((s) => s.tag === 'a');
    expect(tabbedSummaries.length === summaries && summaries >= 4, `inspect (${scheme}): Tab reaches all ${summaries} summaries`, `reached ${tabbedSummaries.length}: ${JSON.stringify(stops.map((s) => s.tag + ' ' + s.text.slice(0, 30)))}`);
    expect(tabbedLinks.length === links && links >= 1, `inspect (${scheme}): Tab reaches all ${links} links`, `reached ${tabbedLinks.length}`);
    const noRing = stops.filter((s) => !s.visibleIndicator || !s.focusVisible);
    expect(noRing.length === 0, `inspect (${scheme}): visible focus indicator on all ${stops.length} tab stops`, () => JSON.stringify(noRing));
    const faint = stops.filter((s) => s.now.outlineStyle !== 'auto' && s.now.contrast < 3);
    expect(faint.length === 0, `inspect (${scheme}): focus outlines contrast at least 3:1 with the page`, () => JSON.stringify(faint));
    const ring = stops.find((s) => s.tag === 'summary');
    if (ring) checks.push(`inspect (${scheme}): summary focus ring ${ring.now.outlineStyle} ${ring.now.outlineWidth} ${ring.now.outlineColor}, ${ring.now.contrast}:1 (unfocused ${ring.rest.outlineStyle})`);
  };
  await keyboard(page, 'light');

  // Enter on the focused "Users (N)" summary opens the users table.
  const usersSummary = contoso.locator('summary', { hasText: /^Users \(/ });
  await page.keyboard.press('Shift+Tab'); // leave wherever the loop stopped
  await usersSummary.focus();
  await page.keyboard.press('Enter');
  const usersOpen = await usersSummary.evaluate((s) => s.parentElement.open);
  expect(usersOpen, 'inspect: Enter on "Users" summary opens it', 'details did not open');
  expect(await contoso.getByRole('cell', { name: USER.name }).first().isVisible(), `inspect: users table shows ${USER.name}`, 'row not visible');
  expect(await contoso.getByText(USER.upn).first().isVisible(), `inspect: users table shows ${USER.upn}`, 'upn not visible');

  // Nothing was refused and nothing logged an error while the page ran.
  const csp = await page.evaluate(() => window.__csp.splice(0));
  expect(csp.length === 0, 'inspect: no CSP violations', () => csp.join('; '));
  expect(problems.length === 0, 'inspect: no console errors or page errors', () => problems.join('; '));

  // The CSP is enforced: an injected inline script is refused.
  let injected = 'ran';
  try {
    await page.addScriptTag({ content: 'window.__injected = 1' });
    injected = (await page.evaluate(() => window.__injected)) === 1 ? 'ran' : 'blocked';
  } catch {
    injected = 'blocked';
  }
  expect(injected === 'blocked', 'inspect: CSP blocks an injected inline script', 'the injected script ran');

  // Screenshots: light and dark (fresh page: users closed, no focus), mobile.
  const fresh = await ctx.newPage();
  const freshProblems = watch(fresh, 'inspect (screenshots)');
  await fresh.goto(INSPECT);
  await shot(fresh, 'inspect-light.png');
  await fresh.emulateMedia({ colorScheme: 'dark' });
  const darkBg = await fresh.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(darkBg === 'rgb(31, 31, 31)', 'inspect: dark color scheme applies', `body background ${darkBg}`);
  await shot(fresh, 'inspect-dark.png');
  await keyboard(fresh, 'dark');
  await fresh.reload();
  await fresh.emulateMedia({ colorScheme: 'light' });
  await fresh.setViewportSize({ width: 375, height: 812 });
  await fresh.reload();
  const overflow = await fresh.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(overflow.scroll <= overflow.client, "inspect at 375px: no horizontal scroll", () => `${overflow.scroll}px wide content in ${overflow.client}px`);
  await shot(fresh, 'inspect-mobile-375.png');
  expect(freshProblems.length === 0, 'inspect (screenshots): no console errors', () => freshProblems.join('; '));
  await ctx.close();

  await axe(browser, INSPECT, 'inspect (light)');
  await axe(browser, INSPECT, 'inspect (dark)', { colorScheme: 'dark' });
  await axe(browser, INSPECT, 'inspect (users open, 375px)', {
    viewport: { width: 375, height: 812 },
    prepare: (p) => p.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true))),
  });
}

function authorizeURL(params) {
  const q = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT, scope: SCOPE, state: 'xyz', nonce: 'n1', ...params,
  });
  return `${LOGIN}/${TENANT}/oauth2/v2.0/authorize?${q.toString().replace(/\+/g, '%20')}`;
}

const CALLBACK_PAGE = '<!doctype html><html lang="en"><title>Steward callback</title><p>callback received</p></html>';

// A context whose redirects to the app's redirect URI are answered by a tiny
// page and recorded, and whose requests anywhere but the simulator are refused.
//
// Playwright cannot route a request the browser makes to follow a 302 (it
// intercepts at the browser/network boundary; microsoft/playwright#3993), so
// the account picker's POST is sent with route.fetch({maxRedirects: 0}): its
// 302 to http://127.0.0.1:8080/... is recorded and answered with the callback
// page, and nothing ever connects to port 8080. Requests the page itself
// makes to 127.0.0.1:8080 go through the route below as usual.
async function signInContext(browser, opts = {}) {
  const ctx = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 }, ...opts });
  await ctx.addInitScript(initScript);
  const callbacks = [];
  const foreign = [];
  const simOrigin = new URL(LOGIN).origin;
  await ctx.route('**/*', async (route) => {
    const req = route.request();
    const u = new URL(req.url());
    if (u.origin === simOrigin && req.method() === 'POST' && u.pathname.endsWith('/oauth2/v2.0/authorize')) {
      const resp = await route.fetch({ maxRedirects: 0 });
      const loc = resp.headers()['location'] ?? '';
      if (resp.status() === 302 && loc.startsWith('http://127.0.0.1:8080/')) {
        callbacks.push(new URL(loc));
        return route.fulfill({ status: 200, contentType: 'text/html', body: CALLBACK_PAGE });
      }
      return route.fulfill({ response: resp });
    }
    if (u.origin === simOrigin) return route.continue();
    if (u.origin === 'http://127.0.0.1:8080') {
      callbacks.push(u);
      return route.fulfill({ status: 200, contentType: 'text/html', body: CALLBACK_PAGE });
    }
    foreign.push(u.href);
    return route.abort();
  });
  return { ctx, callbacks, foreign };
}

async function signIn(browser) {
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const url = authorizeURL({ code_challenge: challenge, code_challenge_method: 'S256' });

  const { ctx, callbacks, foreign } = await signInContext(browser);
  const page = await ctx.newPage();
  const problems = watch(page, 'sign-in');
  const resp = await page.goto(url);
  expect(resp.status() === 200, 'sign-in: 200', `status ${resp.status()}`);
  expect(await page.getByRole('heading', { name: 'Pick an account' }).isVisible(), 'sign-in: "Pick an account" heading', 'missing');
  expect(await page.getByText('to continue to Steward').isVisible(), 'sign-in: names the app', 'no "to continue to Steward"');
  const buttons = await page.locator('button').count();
  expect(buttons >= 50, `sign-in: lists ${buttons} Contoso users`, `only ${buttons} buttons`);
  expect(await page.getByRole('button', { name: new RegExp(USER.name) }).isVisible(), `sign-in: ${USER.name} listed`, 'missing');
  expect(!(await page.getByText('Fabrikam').count()), 'sign-in: only the requested tenant\'s users', 'Fabrikam shown on a Contoso sign-in');
  const focusedAtLoad = await page.evaluate(() => document.activeElement?.tagName);
  expect(focusedAtLoad === 'BODY', 'sign-in: nothing autofocused without login_hint', `focused ${focusedAtLoad}`);
  await shot(page, 'signin-light.png');

  // Keyboard: Tab to the user's button, check its focus ring, press Enter.
  let stop = null;
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    stop = await page.evaluate(() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return { tag: el.tagName, text: el.textContent, outline: `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`, fv: el.matches(':focus-visible') };
    });
    if (stop.tag === 'BUTTON' && stop.text.includes(USER.name)) break;
    stop = null;
  }
  expect(stop !== null, `sign-in: Tab reaches ${USER.name}'s button`, 'not reached in 120 Tabs');
  if (!stop) return ctx.close();
  expect(!stop.outline.startsWith('none') && stop.fv, `sign-in: focused button has a visible outline (${stop.outline})`, stop.outline);
  await shot(page, 'signin-focused.png', { fullPage: false });
  await page.keyboard.press('Enter');
  await page.getByText('callback received').waitFor({ timeout: 10000 });

  expect(callbacks.length === 1, 'sign-in: Enter redirects once to the redirect URI', `${callbacks.length} callbacks`);
  const cb = callbacks[0];
  const code = cb?.searchParams.get('code');
  expect(cb?.pathname === '/auth/callback', 'sign-in: redirect path /auth/callback', cb?.pathname);
  expect(!!code, 'sign-in: code returned', cb?.href);
  expect(cb?.searchParams.get('state') === 'xyz', 'sign-in: state echoed', cb?.searchParams.get('state'));
  expect(!cb?.searchParams.get('error'), 'sign-in: no error in the redirect', cb?.searchParams.get('error_description'));
  expect(foreign.length === 0, 'sign-in: no request outside the simulator and the redirect URI', foreign.join(', '));
  const csp = await page.evaluate(() => window.__csp ?? []);
  expect(csp.length === 0, 'sign-in: no CSP violations', csp.join('; '));
  expect(problems.length === 0, 'sign-in: no console errors or page errors', problems.join('; '));
  await ctx.close();
  if (!code) return;

  // Redeem the code from Node with the verifier.
  const form = { grant_type: 'authorization_code', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT, code, code_verifier: verifier };
  const tokenURL = `${LOGIN}/${TENANT}/oauth2/v2.0/token`;
  const r = await fetch(tokenURL, { method: 'POST', body: new URLSearchParams(form) });
  const body = await r.json();
  expect(r.status === 200 && body.id_token, 'token: code + verifier redeemed for tokens', () => `${r.status} ${JSON.stringify(body)}`);
  if (body.id_token) {
    const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
    expect(claims.preferred_username === USER.upn, `token: id_token preferred_username ${USER.upn}`, claims.preferred_username);
    expect(claims.nonce === 'n1', 'token: id_token nonce n1', claims.nonce);
    expect(claims.aud === CLIENT_ID, 'token: id_token aud is the client id', claims.aud);
    expect(claims.tid === TENANT, 'token: id_token tid is the tenant', claims.tid);
  }
  const again = await fetch(tokenURL, { method: 'POST', body: new URLSearchParams(form) });
  expect(again.status === 400, 'token: the code cannot be redeemed twice', `status ${again.status}`);

  await axe(browser, url, 'sign-in');
}

async function loginHint(browser) {
  const { ctx, callbacks } = await signInContext(browser, { viewport: { width: 375, height: 812 } });
  const page = await ctx.newPage();
  const problems = watch(page, 'login_hint');
  const url = authorizeURL({ login_hint: HINTED.upn });
  await page.goto(url);
  // The browser applies autofocus after parsing, asynchronously: on a busy
  // machine the first sample can still see <body>. Wait (bounded) for a
  // button to take focus, then check which one it is.
  await page.waitForFunction(() => document.activeElement?.tagName === 'BUTTON', null, { timeout: 5000 }).catch(() => {});
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const d = el?.getAttribute('aria-describedby');
    return { tag: el?.tagName, text: el?.textContent, autofocus: el?.hasAttribute('autofocus'), described: d ? document.getElementById(d)?.textContent : null };
  });
  expect(focused.tag === 'BUTTON' && focused.text.includes(HINTED.name) && focused.autofocus, `login_hint: ${HINTED.name}'s button is focused on load`, JSON.stringify(focused));
  expect(!!focused.described, `login_hint: the focused button is described ("${focused.described}")`, 'no aria-describedby text');
  const first = await page.locator('button').first().textContent();
  expect(first.includes(HINTED.name), 'login_hint: hinted user listed first', first);
  await shot(page, 'signin-hint-375.png', { fullPage: false });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 0, 'sign-in at 375px: no horizontal scroll', `${overflow}px overflow`);
  expect(callbacks.length === 0, 'login_hint: no redirect before the user chooses', `${callbacks.length}`);
  expect(problems.length === 0, 'login_hint: no console errors', problems.join('; '));
  await ctx.close();
  await axe(browser, url, 'sign-in with login_hint (375px)', { viewport: { width: 375, height: 812 } });
}

async function badRedirect(browser) {
  const { ctx, callbacks, foreign } = await signInContext(browser);
  const page = await ctx.newPage();
  const problems = watch(page, 'bad redirect', 400);
  const url = authorizeURL({ redirect_uri: BAD_REDIRECT });
  const resp = await page.goto(url);
  expect(resp.status() === 400, 'bad redirect_uri: 400 error page', `status ${resp.status()}`);
  expect(page.url() === url, 'bad redirect_uri: no navigation away', page.url());
  expect(await page.getByRole('heading', { name: /trouble signing you in/ }).isVisible(), 'bad redirect_uri: error heading', 'missing');
  const alert = (await page.getByRole('alert').textContent()) || '';
  expect(alert.includes(BAD_REDIRECT) && alert.includes('does not match the redirect URIs'), 'bad redirect_uri: message names the URI', alert);
  expect(await page.getByText('AADSTS50011', { exact: true }).isVisible(), 'bad redirect_uri: AADSTS50011 shown', 'no code');
  expect(!(await page.locator('form, a[href]').count()), 'bad redirect_uri: no form or link to the bad URI', 'a form or link is on the page');
  expect(foreign.length === 0 && callbacks.length === 0, 'bad redirect_uri: no request to the bad URI', () => foreign.concat(callbacks.map(String)).join(', '));
  expect(problems.length === 0, 'bad redirect_uri: no console errors', problems.join('; '));
  await shot(page, 'signin-error.png');
  await ctx.close();
  await axe(browser, url, 'sign-in error');
}

let browser;
const deadline = setTimeout(() => {
  fail('pages.mjs: timed out after 150 s');
  finish(1);
}, 150000);

function finish(code) {
  clearTimeout(deadline);
  if (!errors.length) for (const [key] of KNOWN) if (!knownSeen.has(key)) notes.push(`known bug not checked in this run: ${key}`);
  const result = errors.length ? { ok: false, errors, checks, notes, screenshots, axe: axeReport } : { ok: true, checks, notes, screenshots, axe: axeReport };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(errors.length ? 1 : code));
}

try {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  for (const step of [inspectPage, signIn, loginHint, badRedirect]) {
    try {
      await step(browser);
    } catch (e) {
      fail(`${step.name}: ${e.stack || e}`);
    }
  }
} catch (e) {
  fail(`pages.mjs: ${e.stack || e}`);
} finally {
  await browser?.close().catch(() => {});
}
finish(0);
