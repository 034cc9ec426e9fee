// Drives Microsoft 365 Agents Playground's page in headless Chromium with
// playwright-core: opens the personal chat with the bot, types a message,
// sends it, and waits until the bot's answer renders (an Adaptive Card in
// the chat, found by its text). Saves a screenshot either way.
//
// Environment: PLAYGROUND_URL (http://127.0.0.1:PORT/), MESSAGE (what to
// send), EXPECT (text of the answer to wait for), SCREENSHOT (PNG path),
// CHROMIUM (default /usr/bin/chromium). Requests to anything but loopback
// are aborted (the page asks a CDN for fonts). Prints "screenshot <path>"
// and "rendered <text>" and exits 0 once EXPECT is on the page; exits 1
// after 40 s.
'use strict';

const { chromium } = require('playwright-core');

const env = (name, def) => {
  const v = process.env[name] || def;
  if (!v) {
    console.error(`playground: ${name} is required`);
    process.exit(2);
  }
  return v;
};

(async () => {
  const url = env('PLAYGROUND_URL');
  const message = env('MESSAGE');
  const expect = env('EXPECT');
  const screenshot = env('SCREENSHOT');
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
  const killer = setTimeout(async () => {
    console.error('playground: timed out');
    await browser.close().catch(() => {});
    process.exit(1);
  }, 40_000);
  let ok = false;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
    });
    page.on('console', (m) => {
      // Loads from the CDN fail: they were aborted.
      if (m.type() === 'error' && !/ERR_FAILED|cdn\.office\.net/.test(m.text())) {
        console.error(`playground: page console: ${m.text()}`);
      }
    });
    await page.goto(url);
    await page.locator('button[aria-label="Personal Chat"]').click();
    const box = page.locator('[role="textbox"][data-lexical-editor="true"]');
    await box.click();
    await box.pressSequentially(message);
    await page.locator('button[aria-label="Send Message"]').click();
    const answer = page.getByText(expect).first();
    await answer.waitFor({ timeout: 30_000 });
    console.log(`rendered ${await answer.innerText()}`);
    ok = true;
  } catch (err) {
    console.error(`playground: ${err.message}`);
  } finally {
    await page.screenshot({ path: screenshot, fullPage: true }).catch((err) => console.error(`playground: screenshot: ${err.message}`));
    console.log(`screenshot ${screenshot}`);
    clearTimeout(killer);
    await browser.close();
  }
  process.exit(ok ? 0 : 1);
})();
