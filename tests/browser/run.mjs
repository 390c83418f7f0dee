// run.mjs -- the web app in a real browser: starts `psyclaim serve` on a free port with a scratch
// database and users made by `psyclaim user add`, then drives Debian's headless Chromium through
// playwright-core: sign-in (a wrong password, then the right one), search as you type (filters,
// keyboard, the header box), NLM's own autocomplete-lhc widget on a test page served from here and
// pointed at psyclaim's /api/icd10cm/v3/search, the look-up form, the 90853 code page with all its sections, a similar code, an unknown code, coding a session (60 minutes -> 90837,
// live as the form changes), a biller reading an 835 remittance, a biller building claims, reading a
// claim's lines and CMS-1500, exporting a payer's 837P and posting the 835 that answers it, the reports
// with revenue, the audit trail for an admin, sign-out.
//
// usage: node run.mjs [--bin PATH_TO_PSYCLAIM] [--screenshot FILE.png]
// Exit 0 when every check passed, 1 on a failure, 77 (ctest: skipped) only when Chromium cannot start.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const bin = opt('--bin', join(here, '../../build/psyclaim'));
const screenshot = opt('--screenshot', null);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const PASSWORDS = { admin: 'admin-test-pass', clinician: 'clinician-test-pass', biller: 'biller-test-pass' };

// A small invented 835 (tests/data/x12/835-small.x12): one ACH payment of $100 for a 90837 line with
// $30 written off (CO-45) and a $20 copay (PR-3), and a second claim denied for want of an
// authorisation (CO-197).

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
  }
}

function addUser(db, username, role, ...extra) {
  const r = spawnSync(bin, ['user', 'add', '--db', db, '--username', username, '--role', role, ...extra], {
    input: PASSWORDS[role] + '\n',
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`user add ${username}: ${r.stderr}`);
}

/** Starts the server on port 0 and resolves with {proc, url} once it prints its address. */
function startServer(db, log) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--threads', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/\S+?)\/? /);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
    proc.stderr.on('data', (d) => log.push(String(d)));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}): ${log.join('')}`));
    });
  });
}

function stopServer(proc) {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', (code, signal) => resolve({ code, signal }));
    proc.kill('SIGTERM');
  });
}

/**
 * An 835 that pays every claim of an exported 837P in full except the first, which is denied (CO-50),
 * plus a claim psyclaim never sent (kept in suspense). SVC lines carry the billed code without modifiers.
 */
function make835(x837) {
  const segs = x837.split('~').map((x) => x.trim()).filter(Boolean).map((x) => x.split('*'));
  const body = [];
  let total = 0;
  let n = 0;
  let deny = false;
  const amount = (c) => (c / 100).toFixed(2);
  for (const e of segs) {
    if (e[0] === 'CLM') {
      const c = Math.round(Number(e[2]) * 100);
      deny = n === 0;
      n++;
      if (deny) {
        body.push(`CLP*${e[1]}*4*${amount(c)}*0**MC*ICN${n}`, `CAS*CO*50*${amount(c)}`);
      } else {
        body.push(`CLP*${e[1]}*1*${amount(c)}*${amount(c)}**MC*ICN${n}`);
        total += c;
      }
    } else if (e[0] === 'SV1') {
      const code = e[1].split(':')[1];
      body.push(`SVC*HC:${code}*${e[2]}*${deny ? '0' : e[2]}**${e[4]}`);
    }
  }
  body.push('CLP*PCX0000001*1*100*100**MC*ICNX', 'SVC*HC:90834*100*100**1');
  total += 10000;
  const st = ['ST*835*0001', `BPR*I*${amount(total)}*C*ACH*CCP*01*999999999*DA*1234*1512345678**01*999999999*DA*5678*20260415`,
    'TRN*1*EFT0001*1512345678', 'N1*PR*DEMO PAYER', 'N1*PE*DEMO PRACTICE*XX*1234567893', 'LX*1', ...body];
  st.push(`SE*${st.length + 1}*0001`);
  return ['ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *260415*1200*^*00501*000000777*0*P*:',
    'GS*HP*PAYER*PRACTICE*20260415*1200*777*X*005010X221A1', ...st, 'GE*1*777', 'IEA*1*000000777'].join('~') + '~';
}

/** A fresh context and page whose console errors (other than the 401 and 422 answers pages expect) and
 * uncaught exceptions are collected in errors. */
async function watchedPage(browser, timeout) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|422)/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { ctx, page, errors };
}

async function signIn(page, url, username, password) {
  await page.goto(url + '/');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// --- NLM's autocomplete-lhc widget on a page of the test's own -----------------------------------------
// The npm package ships CommonJS sources without a browser build, so the page gets them wrapped in a
// small module loader (the files and their relative require() calls, nothing else).
const LHC = join(here, 'node_modules/autocomplete-lhc');

function bundleLhc() {
  const mods = new Map();
  const visit = (file) => {
    if (mods.has(file)) return;
    const src = readFileSync(file, 'utf8');
    mods.set(file, src);
    for (const m of src.matchAll(/require\('(\.{1,2}\/[^']+)'\)/g)) visit(resolvePath(dirname(file), m[1]) + '.js');
  };
  const entry = join(LHC, 'source/index.js');
  visit(entry);
  const defs = [...mods].map(([file, src]) => `${JSON.stringify(file)}: function (module, exports, require) {\n${src}\n}`);
  return `(function () {
  var defs = {${defs.join(',\n')}};
  var cache = {};
  function load(file) {
    if (cache[file]) return cache[file].exports;
    var module = cache[file] = { exports: {} };
    var dir = file.slice(0, file.lastIndexOf('/'));
    defs[file](module, module.exports, function (p) {
      var parts = (dir + '/' + p).split('/'), out = [];
      parts.forEach(function (s) { if (s === '..') out.pop(); else if (s !== '.') out.push(s); });
      return load(out.join('/') + '.js');
    });
    return module.exports;
  }
  window.Def = load(${JSON.stringify(entry)});
})();`;
}

/** Serves the widget test page (another origin than psyclaim, as any NLM client is); resolves {server, url}. */
function startWidgetPage(apiBase) {
  const js = bundleLhc();
  const css = readFileSync(join(LHC, 'source/auto_completion.css'));
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>autocomplete-lhc against psyclaim</title>
<link rel="stylesheet" href="/autocomplete-lhc.css"></head>
<body><label for="icd">Diagnosis</label> <input id="icd" type="text" size="60">
<script src="/autocomplete-lhc.js"></script>
<script>new Def.Autocompleter.Search('icd', ${JSON.stringify(apiBase + '/api/icd10cm/v3/search')},
  { tableFormat: true, valueCols: [0], colHeaders: ['Code', 'Name'] });</script></body></html>`;
  const files = { '/': ['text/html', html], '/autocomplete-lhc.js': ['text/javascript', js], '/autocomplete-lhc.css': ['text/css', css] };
  const server = createServer((req, res) => {
    const f = files[req.url];
    res.writeHead(f ? 200 : 404, { 'Content-Type': f ? f[0] : 'text/plain' });
    res.end(f ? f[1] : 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

/** Types text into the widget's field and returns the suggestions' texts once some are shown. */
async function widgetSuggestions(page, text) {
  const field = page.locator('#icd');
  await field.fill('');
  await field.pressSequentially(text, { delay: 60 });
  const rows = page.locator('#lhc-tools-searchResults tbody tr, #lhc-tools-searchResults li');
  await rows.first().waitFor();
  return rows.allTextContents();
}

async function widgetChecks(browser, apiBase) {
  if (!existsSync(join(LHC, 'source/index.js'))) {
    check('autocomplete-lhc is installed in tests/browser (npm ci)', false);
    return;
  }
  const { server, url } = await startWidgetPage(apiBase);
  const wctx = await browser.newContext();
  try {
    const page = await wctx.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/api/icd10cm/v3/search')) asked.push(r.url()); });
    await page.goto(url);
    const byCode = await widgetSuggestions(page, 'F41');
    check('autocomplete-lhc lists psyclaim ICD-10-CM codes for "F41"', byCode.some((t) => t.includes('F41.1')), byCode.slice(0, 5).join(' | '));
    const byWord = await widgetSuggestions(page, 'gad');
    check('autocomplete-lhc finds generalized anxiety disorder for "gad"', byWord.some((t) => /F41\.1/.test(t) && /anxiety/i.test(t)), byWord.slice(0, 5).join(' | '));
    check('the widget asked psyclaim itself (NLM terms parameter)', asked.length > 0 && asked.every((u) => /[?&]terms=/.test(u)), asked[0]);
    check('no errors on the widget page', errors.length === 0, errors.join(' | '));
  } finally {
    await wctx.close();
    server.close();
  }
}

async function main() {
  let playwright;
  try {
    playwright = await import('playwright-core');
  } catch (e) {
    console.log('FAIL playwright-core is not installed in tests/browser (run scripts/bootstrap.sh)');
    return 1;
  }
  if (!existsSync(bin)) {
    console.log(`FAIL no psyclaim binary at ${bin}`);
    return 1;
  }
  let browser;
  try {
    browser = await playwright.chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--no-proxy-server', '--disable-dev-shm-usage'],
    });
  } catch (e) {
    console.log(`SKIP: Chromium cannot start (${chromiumPath}): ${String(e.message).split('\n')[0]}`);
    return 77;
  }

  const dir = mkdtempSync(join(tmpdir(), 'psyclaim-browser-'));
  const db = join(dir, 'test.db');
  const log = [];
  let server;
  try {
    const demo = spawnSync(bin, ['demo-data', '--db', db], { encoding: 'utf8' });
    if (demo.status !== 0) throw new Error(`demo-data: ${demo.stderr}`);
    addUser(db, 'casey', 'clinician');
    addUser(db, 'dana', 'clinician', '--clinician', '1'); // leads the demo practice's first group
    addUser(db, 'alex', 'admin');
    addUser(db, 'bo', 'biller');
    server = await startServer(db, log);
    const { url } = server;

    // --- a clinician signs in and reads the 90853 page ---
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const consoleErrors = [];
    page.on('console', (m) => {
      // 401 before sign-in, 404 for the unknown code and 422 for an unfinished session are answers
      // the page expects
      if (m.type() === 'error' && !/status of (401|404|422)/.test(m.text())) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    await page.goto(url + '/');
    await page.getByLabel('User name').waitFor();
    check('the practice field stays hidden until it is needed', await page.getByLabel('Practice number').isHidden());
    await signIn(page, url, 'casey', 'wrong-password-here');
    const alert = page.locator('#login-error');
    await alert.filter({ hasText: /wrong user name or password/i }).waitFor();
    check('a wrong password is refused with a message', true);

    await page.getByLabel('Password').fill(PASSWORDS.clinician);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Search codes' }).waitFor();
    check('sign-in leads to the search page, ready for typing', await page.evaluate(() => document.activeElement.id) === 'search-q');
    check('a clinician sees no audit trail link', (await page.getByRole('link', { name: 'Audit trail' }).count()) === 0);

    const cookies = await ctx.cookies();
    const sess = cookies.find((c) => c.name === 'psy_session');
    check('the session cookie is HttpOnly and SameSite=Strict', sess && sess.httpOnly && sess.sameSite === 'Strict',
      JSON.stringify(sess));
    check('page scripts cannot read the session cookie', !(await page.evaluate(() => document.cookie)).includes('psy_session'));

    // --- search as you type ---
    const q = page.locator('#search-q');
    const results = page.locator('#search-results [role="option"]');
    let searches = 0;
    page.on('request', (r) => { if (r.url().includes('/api/search?')) searches++; });
    await q.pressSequentially('ptsd chron', { delay: 20 });
    await page.locator('#search-results[data-q="ptsd chron"]').waitFor();
    check('typing "ptsd chron" finds F43.12 first', (await results.first().locator('.code').textContent()) === 'F43.12');
    check('quick keystrokes are debounced (fewer requests than keys)', searches > 0 && searches < 'ptsd chron'.length, `${searches} requests`);
    check('the address keeps the query', new URLSearchParams(page.url().split('#/search?')[1]).get('q') === 'ptsd chron', page.url());
    await q.fill('therapy');
    await page.locator('#search-results[data-q="therapy"]').waitFor();
    const unfiltered = await page.locator('#search-results .code').allTextContents();
    await page.getByRole('button', { name: 'HCPCS' }).click();
    await page.waitForFunction((b) => [...document.querySelectorAll('#search-results .code')].map((e) => e.textContent).join() !== b, unfiltered.join());
    const tags = await page.locator('#search-results .system-tag').allTextContents();
    check('the HCPCS chip keeps only HCPCS codes', tags.length > 0 && tags.every((t) => t === 'HCPCS'), tags.join(' '));
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await q.fill('f431');
    await page.locator('#search-results[data-q="f431"] .code', { hasText: 'F43.1' }).first().waitFor();
    await page.getByLabel('Billable only').check();
    await page.waitForFunction(() => ![...document.querySelectorAll('#search-results .code')].some((e) => e.textContent === 'F43.1'));
    check('billable only drops the F43.1 category', (await page.locator('#search-results .not-billable').count()) === 0);
    await page.getByLabel('Billable only').uncheck();
    await q.fill('group psychotherapy');
    await page.locator('#search-results[data-q="group psychotherapy"]').waitFor();
    const order = await page.locator('#search-results .code').allTextContents();
    await q.press('ArrowDown');
    await q.press('ArrowDown');
    check('arrow keys move through the results', (await page.locator('#search-opt-1[aria-selected="true"]').count()) === 1);
    await q.press('Enter');
    await page.locator('.code-head h1', { hasText: order[1] }).waitFor();
    check('Enter opens the chosen result\'s code page', page.url().includes('#/codes/') && page.url().endsWith(encodeURIComponent(order[1])), page.url());
    await page.locator('#header-q').pressSequentially('90837');
    await page.locator('#search-results[data-q="90837"] .code', { hasText: '90837' }).first().waitFor();
    check('the header search box leads to the search page and drives it', (await q.inputValue()) === '90837', await q.inputValue());

    await page.goto(url + '/#/lookup');
    await page.getByLabel('Code', { exact: true }).fill('90853');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('.code-head h1', { hasText: '90853' }).waitFor();
    check('the look-up form opens #/codes/any/90853', page.url().endsWith('#/codes/any/90853'), page.url());

    const headings = await page.locator('.sections h2').allTextContents();
    const want = ['Summary', 'At a glance', 'Purpose', 'Indications', 'Preparation', 'Procedure', 'Who may provide it',
      'Risks and complications', 'Benefits', 'Recovery', 'Alternatives', 'What the patient experiences',
      'Similar codes', 'Related codes', 'Billing notes', 'Payer policies', 'Sources'];
    const missing = want.filter((w) => !headings.includes(w));
    check('every explainer section of 90853 is shown', missing.length === 0, 'missing: ' + missing.join(', '));
    check('the sections come in reading order', want.every((w, i) => headings.indexOf(w) === i), headings.join(' | '));
    const tocLinks = await page.locator('nav.toc a').count();
    check('the page has a table of contents for every section', tocLinks === want.length, `${tocLinks} links`);
    const steps = await page.locator('#sec-procedure ol.steps li').count();
    check('the procedure is a numbered list of steps', steps >= 3, `${steps} steps`);
    const billing = await page.locator('#sec-billing li').count();
    const payers = await page.locator('#sec-payers li').count();
    check('billing notes and payer policies have items', billing > 0 && payers > 0, `${billing}, ${payers}`);
    const facts = await page.locator('#sec-facts dt').allTextContents();
    check('the time that selects the code is at a glance', facts.includes('Time that selects this code'), facts.join(', '));
    const chips = await page.locator('.aka .chips li').count();
    check('the common names are shown', chips > 0);
    const badge = await page.locator('.badges li').first().textContent();
    check('the billable badge is shown', badge === 'Billable', badge);
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });

    const similar = page.locator('#sec-similar table.similar a', { hasText: '90849' });
    check('similar codes link to their pages', (await similar.count()) === 1);
    await similar.click();
    await page.locator('.code-head h1', { hasText: '90849' }).waitFor();
    check('a similar code opens its own page', page.url().endsWith('#/codes/cpt/90849'), page.url());

    await page.goto(url + '/#/codes/cpt/90854');
    await page.getByRole('heading', { level: 1, name: 'No code 90854' }).waitFor();
    const didYouMean = await page.locator('.recent a', { hasText: '90853' }).count();
    check('an unknown code suggests close matches', didYouMean === 1);

    // --- code a session: the lines follow the form ---
    await page.getByRole('link', { name: 'Code a session' }).click();
    await page.getByRole('heading', { level: 1, name: 'Code a session' }).waitFor();
    check('a clinician sees no remittances link', (await page.getByRole('link', { name: 'Remittances' }).count()) === 0);
    await page.locator('#coding-status', { hasText: 'not complete' }).waitFor();
    const minutesError = await page.locator('#cs-minutes-error').textContent();
    check('without minutes the form says minutes are needed', /minutes/.test(minutesError), minutesError);
    await page.getByLabel('Minutes').fill('60');
    const firstLine = page.locator('table.coded-lines tbody.coded-line').first();
    await firstLine.locator('a.code', { hasText: '90837' }).waitFor();
    check('60 minutes code as 90837', true);
    const why = await firstLine.locator('.explanation').textContent();
    check('the line explains itself', /60 psychotherapy minutes/.test(why), why);
    const rules = await firstLine.locator('.rule-ids li').allTextContents();
    check('the line lists its rule ids', rules.includes('R-TIME-1'), rules.join(' '));
    const cells = await firstLine.locator('tr.line-main td').allTextContents();
    check('the line shows units, POS 11 and a charge', cells[0] === '1' && cells[2] === '11' && /^\$\d/.test(cells[3]), cells.join(' | '));
    await page.getByLabel('Minutes').fill('40');
    await firstLine.locator('a.code', { hasText: '90834' }).waitFor();
    check('changing the minutes updates the line (40 -> 90834)', true);
    await page.getByLabel('Telehealth').selectOption('video');
    await page.getByLabel('Payer').selectOption('medicare');
    await firstLine.locator('.mod', { hasText: '95' }).waitFor();
    const pos = await firstLine.locator('tr.line-main td').nth(2).textContent();
    check('video from home for Medicare: modifier 95 and POS 10', pos === '10', pos);
    await page.getByLabel('Minutes').fill('-5');
    await page.locator('#cs-minutes[aria-invalid="true"]').waitFor();
    check('a negative minute count marks the field', /negative/.test(await page.locator('#cs-minutes-error').textContent()));

    check('no errors in the browser console (CSP, scripts)', consoleErrors.length === 0, consoleErrors.join(' | '));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.goto(url + '/#/codes/cpt/90853');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    check('after sign-out the code page asks for sign-in again', true);
    await ctx.close();

    // --- a biller reads a remittance ---
    const bctx = await browser.newContext();
    const bpage = await bctx.newPage();
    bpage.setDefaultTimeout(15000);
    const bErrors = [];
    bpage.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|422)/.test(m.text())) bErrors.push(m.text());
    });
    await signIn(bpage, url, 'bo', PASSWORDS.biller);
    await bpage.getByRole('link', { name: 'Remittances' }).click();
    await bpage.getByRole('heading', { level: 1, name: 'Remittances' }).waitFor();
    await bpage.getByLabel('835 remittance file').setInputFiles({ name: 'bad.835', mimeType: 'text/plain', buffer: Buffer.from('ISA*00*not an 835~') });
    await bpage.locator('#era-error', { hasText: /segment 1/ }).waitFor();
    check('a malformed 835 names the segment', true);
    await bpage.getByLabel('835 remittance file').setInputFiles(join(here, '../data/x12/835-small.x12'));
    const payment = bpage.locator('section.era-payment').first();
    await payment.locator('h2', { hasText: 'INVENTED HEALTH PLAN' }).waitFor();
    const paid = await payment.locator('.era-paid').textContent();
    check('the payment and its amount are shown', paid === '$100.00', paid);
    check('the check/EFT number is shown', (await payment.locator('dd', { hasText: 'EFT424242' }).count()) === 1);
    const summaryText = await bpage.locator('.era-summary').textContent();
    check('the summary counts payments and claims', /1 payment, 2 claims/.test(summaryText), summaryText);
    const claimsShown = await payment.locator('article.era-claim h3').allTextContents();
    check('both claims are listed', claimsShown.join(' ').includes('BT0001') && claimsShown.join(' ').includes('BT0002'), claimsShown.join(' | '));
    const carcs = await payment.locator('.adjustments .carc').allTextContents();
    check('adjustments show group and reason codes', ['CO-45', 'PR-3', 'CO-197'].every((c) => carcs.includes(c)), carcs.join(' '));
    const words = await payment.locator('.adjustments .reason-text').allTextContents();
    check('reason codes are explained in plain words', words.some((w) => /copay/i.test(w)) && words.some((w) => /authori/i.test(w)), words.join(' | '));
    check('the denied claim is marked', (await payment.locator('article.era-claim.denied h3', { hasText: 'BT0002' }).count()) === 1);
    check('no errors in the biller\'s console', bErrors.length === 0, bErrors.join(' | '));
    await bctx.close();

    // --- a biller builds claims, reads one, exports a payer's 837P and posts the 835 that answers it ---
    const { ctx: cctx, page: cpage, errors: cErrors } = await watchedPage(browser, 20000);
    await signIn(cpage, url, 'bo', PASSWORDS.biller);
    await cpage.getByRole('link', { name: 'Claims' }).click();
    await cpage.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    await cpage.getByRole('button', { name: 'Build claims' }).click();
    const built = await cpage.locator('.build-summary').textContent();
    const ready = Number((built.match(/(\d+) ready/) || [])[1]);
    check('building claims reports ready and held claims', ready > 0 && /held in draft/.test(built), built);
    await cpage.locator('table.claims tbody tr').first().waitFor();
    const rows = await cpage.locator('table.claims tbody tr').count();
    check('the claims list shows the built claims', rows > 10, String(rows));
    await cpage.getByRole('button', { name: 'Scrub all again' }).click();
    await cpage.locator('.build-summary', { hasText: 'claims scrubbed' }).waitFor();
    const rescrubbed = await cpage.locator('.build-summary').textContent();
    check('scrubbing all again gives the same verdicts', Number((rescrubbed.match(/(\d+) ready/) || [])[1]) === ready, rescrubbed);
    await cpage.getByLabel('Status').selectOption('ready');
    await cpage.getByRole('button', { name: 'Show' }).click();
    await cpage.waitForFunction(() => [...document.querySelectorAll('table.claims tbody .claim-status')].every((e) => e.textContent === 'ready'));
    await cpage.locator('table.claims tbody tr th a').first().click();
    await cpage.getByRole('heading', { level: 2, name: 'Lines' }).waitFor();
    const explanation = await cpage.locator('.claim-lines .explanation').first().textContent();
    check('a claim\'s lines carry their explanation', explanation.length > 20 && !/No explanation/.test(explanation), explanation);
    check('a claim\'s lines carry their rule ids', (await cpage.locator('.claim-lines .rule-ids li').count()) > 0);
    check('the claim shows its history', /ready/.test(await cpage.locator('ol.history').textContent()));
    const [pdf] = await Promise.all([cpage.waitForEvent('download'), cpage.getByRole('button', { name: 'CMS-1500 PDF' }).click()]);
    const pdfBytes = readFileSync(await pdf.path());
    check('the CMS-1500 downloads as a PDF', pdfBytes.subarray(0, 5).toString() === '%PDF-', pdf.suggestedFilename());
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    await cpage.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    const exportButton = cpage.locator('.claims-export button[data-payer]:not([disabled])').first();
    const payerCode = await exportButton.getAttribute('data-payer');
    const [dl] = await Promise.all([cpage.waitForEvent('download'), exportButton.click()]);
    const x837 = readFileSync(await dl.path(), 'utf8');
    check('Export 837P downloads an X12 file', x837.startsWith('ISA*') && /ST\*837\*/.test(x837), dl.suggestedFilename());
    await cpage.locator('#export-result', { hasText: 'submitted' }).waitFor();
    check('the export names the payer\'s file', (await cpage.locator('#export-result').textContent()).includes(payerCode));
    const batchRow = cpage.locator('#claims-batches tr[data-batch]', { hasText: payerCode }).first();
    await batchRow.waitFor();
    const [again] = await Promise.all([cpage.waitForEvent('download'), batchRow.getByRole('link', { name: 'Download' }).click()]);
    check('an exported batch downloads again, byte for byte', readFileSync(await again.path(), 'utf8') === x837, again.suggestedFilename());
    await cpage.getByRole('link', { name: 'Remittances' }).click();
    await cpage.getByRole('heading', { level: 1, name: 'Remittances' }).waitFor();
    await cpage.getByLabel('835 remittance file').setInputFiles({ name: 'payer.835', mimeType: 'text/plain', buffer: Buffer.from(make835(x837)) });
    await cpage.locator('.era-summary').waitFor();
    await cpage.getByRole('button', { name: 'Post' }).click();
    const result = cpage.locator('#post-result');
    await result.locator('h2', { hasText: 'Posted' }).waitFor();
    const badges = await result.locator('.badges li').allTextContents();
    check('posting shows matched, denied and suspense counts', badges.some((b) => /1 denied/.test(b)) && badges.some((b) => /1 in suspense/.test(b)) &&
      badges.some((b) => /claims? matched/.test(b)), badges.join(' | '));
    const deniedRow = await result.locator('tr.denied').first().textContent();
    check('a denied claim shows its reason in words', /CO-50/.test(deniedRow) && /necess/i.test(deniedRow), deniedRow);
    check('paid claims are shown as paid', (await result.locator('tbody tr', { hasText: 'paid in full' }).count()) > 0);
    await cpage.locator('#suspense table.suspense', { hasText: 'PCX0000001' }).waitFor();
    check('the unknown claim is in the suspense list', true);
    check('no errors in the claims console', cErrors.length === 0, cErrors.join(' | '));
    await cctx.close();

    // --- the demo clinician documents a group session and signs it ---
    const { ctx: dctx, page: dpage, errors: dErrors } = await watchedPage(browser, 15000);
    await signIn(dpage, url, 'dana', PASSWORDS.clinician);
    await dpage.getByRole('link', { name: 'Groups' }).click();
    await dpage.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    const groupLinks = await dpage.locator('table th a').allTextContents();
    check('a clinician sees only the groups they lead', groupLinks.length === 1, groupLinks.join(' | '));
    await dpage.locator('table th a').first().click();
    await dpage.getByRole('heading', { level: 2, name: 'Roster' }).waitFor();
    await dpage.getByLabel('Date').fill('2030-01-07');
    await dpage.getByRole('button', { name: 'Open session' }).click();
    await dpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    check('a new session opens for documentation', /#\/sessions\/\d+$/.test(dpage.url()), dpage.url());
    await dpage.getByLabel('Started').fill('18:00');
    await dpage.getByLabel('Ended').fill('19:30');
    const boxes = dpage.locator('table.attendance input[type=checkbox]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await boxes.nth(2).check();
    await boxes.nth(2).uncheck();
    check('notes appear for present members only', (await dpage.locator('.member-notes fieldset').count()) === 2);
    await dpage.locator('table.attendance input.minutes').first().fill('5');
    const same = 'Practised paced breathing, named two triggers from the week and rehearsed a coping statement with a peer.';
    for (const [id, label] of [['theme', 'Theme'], ['techniques', 'Techniques and interventions'], ['dynamics', 'Group dynamics'], ['factors', 'Therapeutic factors']])
      await dpage.locator(`#note-0-${id}`).fill(`${label}: worry and avoidance, session of the week.`);
    for (const fs of await dpage.locator('.member-notes fieldset').all()) {
      await fs.getByLabel('Participation').fill(same);
      await fs.getByLabel('Response to interventions').fill('Engaged and receptive to feedback.');
      await fs.getByLabel('Progress toward goals').fill('Steady progress on goal one.');
      await fs.getByLabel('Plan').fill('Continue weekly group.');
    }
    const clone = dpage.locator('#session-findings .finding', { hasText: 'near copies' });
    await clone.waitFor();
    check('two identical member notes raise the clone warning while typing', /R-GRP-2/.test(await clone.textContent()));
    await dpage.getByRole('button', { name: 'Sign and lock' }).click();
    await dpage.locator('#session-state', { hasText: 'Signed and locked' }).waitFor();
    check('the session is signed and locked', true);
    check('signed notes are read-only', (await dpage.locator('#note-0-theme').getAttribute('readonly')) !== null);
    check('no errors in the clinician\'s session console', dErrors.length === 0, dErrors.join(' | '));
    await dctx.close();

    // --- an admin sees the audit trail, with the clinician's sign-ins in it ---
    const actx = await browser.newContext();
    const apage = await actx.newPage();
    apage.setDefaultTimeout(15000);
    await signIn(apage, url, 'alex', PASSWORDS.admin);
    const aErrors = [];
    apage.on('console', (m) => { if (m.type() === 'error') aErrors.push(m.text()); });
    apage.on('pageerror', (e) => aErrors.push(String(e)));
    await apage.getByRole('link', { name: 'Reports' }).click();
    await apage.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    await apage.locator('#attendance-plot canvas').waitFor();
    await apage.locator('.report-group canvas').first().waitFor();
    const groupsPlotted = await apage.locator('.report-group').count();
    check('the reports plot attendance and each group\'s economics', groupsPlotted >= 1, String(groupsPlotted));
    const before = await apage.locator('.report-group .break-even').first().textContent();
    await apage.getByLabel('Clinician cost per hour ($)').fill('400');
    await apage.getByRole('button', { name: 'Recalculate' }).click();
    await apage.waitForFunction((b) => document.querySelector('.report-group .break-even').textContent !== b, before);
    const after = await apage.locator('.report-group .break-even').first().textContent();
    check('a higher clinician cost raises the break-even size', parseInt(after, 10) > parseInt(before, 10), `${before} -> ${after}`);
    await apage.locator('#revenue-plot canvas').waitFor();
    const revenue = await apage.locator('table.revenue tbody tr').allTextContents();
    check('revenue by month and payer shows the exported payer', revenue.length > 0 && revenue.some((r) => /DEMO/.test(r)), revenue.slice(0, 3).join(' | '));
    check('no errors in the reports console (vendored uPlot, CSP)', aErrors.length === 0, aErrors.join(' | '));
    await apage.getByRole('link', { name: 'Audit trail' }).click();
    await apage.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
    const actions = await apage.locator('table.audit td .action').allTextContents();
    check('the audit trail lists sign-ins, the failure, the sign-out and the remittance read',
      ['login', 'login.failed', 'logout', 'audit.read', 'era.read'].every((a) => actions.includes(a)), actions.join(', '));
    await actx.close();

    await widgetChecks(browser, url);

    const { code, signal } = await stopServer(server.proc);
    server = null;
    check('SIGTERM stops the server cleanly (exit 0)', code === 0, `code ${code}, signal ${signal}`);
    const text = log.join('');
    check('the access log shows route patterns, not codes', text.includes('/api/codes/:system/:code') && !text.includes('90853'),
      text.split('\n').filter((l) => l.includes('codes')).slice(0, 3).join(' | '));
  } catch (e) {
    check('the browser run finished', false, e.stack || String(e));
  } finally {
    if (server) await stopServer(server.proc);
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exit(await main());
