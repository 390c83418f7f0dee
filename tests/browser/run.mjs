// run.mjs -- the web app in a real browser: starts `psyclaim serve` on a free port with a scratch
// database and users made by `psyclaim user add`, then drives Debian's headless Chromium through
// playwright-core: sign-in (a wrong password, then the right one), search as you type (filters,
// keyboard, the header box), NLM's own autocomplete-lhc widget on a test page served from here and
// pointed at psyclaim's /api/icd10cm/v3/search, the look-up form, the 90853 code page with all its sections, a similar code, an unknown code, coding a session (60 minutes -> 90837,
// live as the form changes), a biller reading an 835 remittance, a biller building claims, reading a
// claim's lines and CMS-1500, exporting a payer's 837P and posting the 835 that answers it, the reports
// with revenue, the audit trail for an admin, the Users page (an admin adds a clinician user, who signs
// in and changes their own password), sign-out. Then a practice from an empty database, in the web app
// only: first-run setup, a clinician, a payer, a client with a policy and a plan, a user for the
// clinician, a group with the client on its roster; the clinician signs the plan, documents and signs an
// individual and a group session (a second group session that day only as a distinct one); the admin
// builds the claims, adds the address they were held for, and exports the 837P.
//
// usage: node run.mjs [--bin PATH_TO_PSYCLAIM] [--screenshot FILE.png] [--first-run-only]
// (--first-run-only: only the empty-database scenario, from first-run setup to the exported 837P)
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
 * A 277CA (005010X214) for an exported 837P: the first claim rejected (A7:21, missing or invalid
 * information, about the subscriber), every other accepted into adjudication (A2:20). Returns the file
 * and the rejected claim's number.
 */
function make277(x837) {
  const claims = x837.split('~').map((x) => x.trim()).filter((x) => x.startsWith('CLM*')).map((x) => x.split('*'));
  const body = ['BHT*0085*08*1*20260402*0900*TH', 'HL*1**20*1', 'NM1*PR*2*PAYER*****PI*PAYER01', 'TRN*1*1',
    'HL*2*1*21*1', 'NM1*41*2*SUBMITTER*****46*S1', 'TRN*2*1', 'HL*3*2*19*1', 'NM1*85*2*PROVIDER*****XX*1234567893', 'TRN*1*0'];
  claims.forEach((c, i) => {
    body.push(`HL*${4 + i}*3*PT`, `NM1*QC*1*PATIENT*${i + 1}`, `TRN*2*${c[1]}`,
      i === 0 ? `STC*A7:21:IL*20260402*U*${c[2]}` : `STC*A2:20:PR*20260402*WQ*${c[2]}`, `REF*1K*PAYERNO${i + 1}`);
  });
  const st = ['ST*277*0001*005010X214', ...body];
  st.push(`SE*${st.length + 1}*0001`);
  const isa = 'ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SUBMITTER      *260402*0900*^*00501*000000077*0*P*:';
  return { file: [isa, 'GS*HN*PAYER01*SUBMITTER*20260402*0900*77*X*005010X214', ...st, 'GE*1*77', 'IEA*1*000000077'].join('~\n') + '~\n', rejected: claims[0][1] };
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

/**
 * An 835 (005010X221A1) from payer that adjudicates every claim of an exported 837P line by line:
 * split(charge in cents) gives each line's payment and its adjustments as [group, reason, cents] (2110
 * CAS), which add up to the line's charge, as the 835 balances. CLP02 is status (1 processed as primary,
 * 2 as secondary), CLP05 the patient's share (the CAS PR). Returns the file and each claim's number,
 * charge, payment and patient share, in the 837P's order.
 */
function make835Lines(x837, { payer, trace, isa, status, split }) {
  const segs = x837.split('~').map((x) => x.trim()).filter(Boolean).map((x) => x.split('*'));
  const claims = [];
  const amount = (c) => (c / 100).toFixed(2);
  for (const e of segs) {
    if (e[0] === 'CLM') claims.push({ number: e[1], charge: 0, paid: 0, pr: 0, lines: [] });
    else if (e[0] === 'SV1') {
      const c = Math.round(Number(e[2]) * 100);
      const s = split(c);
      const cl = claims[claims.length - 1];
      cl.charge += c;
      cl.paid += s.paid;
      cl.pr += s.cas.filter((a) => a[0] === 'PR').reduce((n, a) => n + a[2], 0);
      cl.lines.push(`SVC*HC:${e[1].split(':')[1]}*${amount(c)}*${amount(s.paid)}**${e[4]}`,
        ...s.cas.filter((a) => a[2]).map(([g, r, a]) => `CAS*${g}*${r}*${amount(a)}`));
    }
  }
  const body = claims.flatMap((c, i) => [`CLP*${c.number}*${status}*${amount(c.charge)}*${amount(c.paid)}*${amount(c.pr)}*MC*${trace}C${i + 1}`, ...c.lines]);
  const total = claims.reduce((n, c) => n + c.paid, 0);
  const st = ['ST*835*0001', `BPR*I*${amount(total)}*C*ACH*CCP*01*999999999*DA*1234*1512345678**01*999999999*DA*5678*20260420`,
    `TRN*1*${trace}*1512345678`, `N1*PR*${payer}`, 'N1*PE*DEMO PRACTICE*XX*1234567893', 'LX*1', ...body];
  st.push(`SE*${st.length + 1}*0001`);
  const file = [`ISA*00*          *00*          *ZZ*PAYER          *ZZ*PRACTICE       *260420*1200*^*00501*${isa}*0*P*:`,
    `GS*HP*PAYER*PRACTICE*20260420*1200*${Number(isa)}*X*005010X221A1`, ...st, `GE*1*${Number(isa)}`, `IEA*1*${isa}`].join('~') + '~';
  return { file, claims };
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

/**
 * Signs the open session with the page's Sign and lock button (the page's dialog handler confirms); when
 * errors stand in the way, gives the reason and signs again. Resolves with the findings listed then.
 */
async function signSession(page, reason) {
  await page.getByRole('button', { name: 'Sign and lock' }).click();
  const outcome = await Promise.race([
    page.locator('#session-state', { hasText: 'Signed and locked' }).waitFor().then(() => 'signed'),
    page.locator('#override-reason').waitFor({ state: 'visible' }).then(() => 'errors'),
  ]);
  if (outcome === 'signed') return [];
  const listed = await page.locator('#sign-findings .finding').allTextContents();
  await page.locator('#override-reason').fill(reason);
  await page.getByRole('button', { name: 'Sign and lock' }).click();
  await page.locator('#session-state', { hasText: 'Signed and locked' }).waitFor();
  return listed;
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
  // the list is read once the answer for the whole text has come (earlier keystrokes ask too)
  const answered = page.waitForResponse((r) => r.url().includes('/api/icd10cm/v3/search') &&
    new URL(r.url()).searchParams.get('terms') === text, { timeout: 15000 }).catch(() => null);
  await field.pressSequentially(text, { delay: 60 });
  const rows = page.locator('#lhc-tools-searchResults tbody tr, #lhc-tools-searchResults li');
  await answered;
  await rows.first().waitFor();
  await page.waitForTimeout(250); // the widget draws the answer after it arrives
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

/** The page's width beyond the viewport (0 when nothing scrolls sideways). */
async function sideScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** At 390 px (a phone), the Claims list, a claim and the Incoming files page do not scroll sideways. */
async function narrowChecks(browser, url) {
  const { ctx, page } = await watchedPage(browser, 15000);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, url, 'alex', PASSWORDS.admin);
  await page.getByRole('heading', { level: 1, name: 'Search codes' }).waitFor();
  await page.goto(url + '/#/claims');
  await page.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
  await page.locator('table tbody tr').first().waitFor();
  check('the Claims page does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  const claim = await page.locator('table tbody tr a[href^="#/claims/"]').first().getAttribute('href');
  await page.goto(url + '/' + claim);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.locator('table').first().waitFor();
  check('a claim page does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  // the Sessions page: newest first, a page at a time; More adds the next page's rows after them
  await page.goto(url + '/#/sessions');
  await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
  await page.locator('table.sessions tbody tr').first().waitFor();
  const firstPage = await page.locator('table.sessions tbody tr').count();
  const firstDates = await page.locator('table.sessions tbody th').allTextContents();
  check('the Sessions page lists the newest sessions first, 50 a page',
    firstPage === 50 && firstDates.every((d, i) => i === 0 || firstDates[i - 1] >= d), `${firstPage} rows`);
  check('the Sessions page does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  await page.getByRole('button', { name: 'More sessions' }).click();
  await page.locator('table.sessions tbody tr').nth(50).waitFor();
  const ids = await page.locator('table.sessions tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.session));
  check('More sessions adds the next page without repeating a row', ids.length > 50 && new Set(ids).size === ids.length, `${ids.length} rows`);
  await page.goto(url + '/#/remittances');
  await page.getByRole('heading', { level: 1, name: 'Incoming files' }).waitFor();
  await page.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles(join(here, '../data/x12/835-small.x12'));
  await page.locator('main table').first().waitFor();
  check('the Incoming files page with a file read does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  await ctx.close();
}

/**
 * The client ledger in the browser: the biller opens Billing > Balances (the demo practice's copays,
 * some paid, some late), a client's ledger, records a check (a double click records it once), downloads
 * the statement, reverses the payment, reads the A/R aging with its stacked bars; a clinician sees no
 * balances until the practice allows it; the pages fit 390 px.
 */
async function ledgerChecks(browser, url) {
  const { ctx, page, errors } = await watchedPage(browser, 15000);
  page.on('dialog', (d) => d.accept('check returned unpaid'));
  await signIn(page, url, 'bo', PASSWORDS.biller);
  await page.getByRole('link', { name: 'Balances' }).click();
  await page.getByRole('heading', { level: 1, name: 'Balances' }).waitFor();
  const rows = await page.locator('main table tbody tr').count();
  check('Balances lists the demo clients who owe something', rows > 0, `${rows} rows`);
  const late = await page.locator('main table tbody tr.warn').count();
  check('clients with amounts open over 60 days stand out', late > 0, `${late} late`);
  await page.locator('main table tbody tr th a').first().click();
  await page.locator('#ledger-balance').waitFor();
  const money = (t) => Math.round(Number(t.replace(/[^0-9.-]/g, '')) * 100);
  const before = money(await page.locator('#ledger-balance').textContent());
  check('the client page shows the balance', before > 0, String(before));
  const payments = async () => page.locator('#ledger tbody tr', { hasText: 'check 555' }).count();
  await page.locator('#ledger-amount').fill('10.00');
  await page.locator('#ledger-method').selectOption('check');
  await page.locator('#ledger-ref').fill('555');
  await page.locator('#ledger-form button[type=submit]').dblclick();
  await page.locator('#ledger tbody tr', { hasText: 'check 555' }).first().waitFor();
  await page.waitForTimeout(500);
  const after = money(await page.locator('#ledger-balance').textContent());
  check('a payment lowers the balance by its amount', after === before - 1000, `${before} -> ${after}`);
  check('a double-clicked form records once', (await payments()) === 1, `${await payments()} rows`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Statement (PDF)' }).click()]);
  check('the statement downloads as a PDF', /^statement-\d+-\d{4}-\d{2}\.pdf$/.test(dl.suggestedFilename()), dl.suggestedFilename());
  await page.locator('#ledger tbody tr', { hasText: 'check 555' }).getByRole('button', { name: 'Reverse' }).click();
  await page.locator('#ledger tbody tr', { hasText: 'reversed by' }).first().waitFor();
  check('a reversed payment restores the balance', money(await page.locator('#ledger-balance').textContent()) === before);
  await page.setViewportSize({ width: 390, height: 844 });
  check('a client page with its ledger does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  await page.goto(url + '/#/balances');
  await page.getByRole('heading', { level: 1, name: 'Balances' }).waitFor();
  check('Balances does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  // the practice's adjustment reasons on Balances, and a client's self-pay fee on the client page
  await page.locator('#reason-new-code').fill('sliding-scale');
  await page.locator('#reason-new-words').fill('Sliding-scale discount');
  await page.getByRole('button', { name: 'Add reason' }).click();
  await page.locator('#reason-words-sliding-scale').waitFor();
  await page.locator('#reason-words-courtesy').fill('Courtesy to a colleague');
  await page.getByRole('button', { name: 'Save reason courtesy' }).click();
  await page.locator('#reasons-status', { hasText: 'courtesy saved' }).waitFor();
  check('a reason added on Balances is listed', (await page.locator('#reason-words-sliding-scale').inputValue()) === 'Sliding-scale discount');
  check('the reasons editor does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  const clientHref = await page.locator('main table tbody tr th a').first().getAttribute('href');
  await page.goto(url + '/' + clientHref);
  await page.locator('#ledger-balance').waitFor();
  const offered = await page.locator('#ledger-reason option').allTextContents();
  check('the payment form offers the new and the renamed reason', offered.includes('Sliding-scale discount') && offered.includes('Courtesy to a colleague'), offered.join(', '));
  await page.locator('#ledger-fee').fill('85.00');
  await page.getByRole('button', { name: 'Save fee' }).click();
  await page.locator('#ledger-fee-status', { hasText: '$85.00' }).waitFor();
  await page.reload();
  await page.locator('#ledger-fee').waitFor();
  check('the client\'s self-pay fee is kept', (await page.locator('#ledger-fee').inputValue()) === '85.00', await page.locator('#ledger-fee').inputValue());
  check('the client page with the fee form does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  await page.goto(url + '/#/balances');
  await page.getByRole('heading', { level: 1, name: 'Balances' }).waitFor();
  await page.getByRole('link', { name: 'A/R aging report' }).click();
  await page.locator('#aging-total').waitFor();
  const bars = await page.locator('svg.aging-plot rect').count();
  check('the aging report draws stacked bars, payers and patients per bucket', bars === 10, `${bars} bars`);
  const total = await page.locator('#aging-total').textContent();
  check('the aging report shows the total outstanding', /^\$[\d,]+\.\d\d$/.test(total), total);
  check('A/R aging does not scroll sideways at 390 px', (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
  check('no errors in the ledger console', errors.length === 0, errors.join(' | '));
  await ctx.close();
  // a clinician: no balance on their client's page until the admin allows it
  const clin = await watchedPage(browser, 15000);
  await signIn(clin.page, url, 'dana', PASSWORDS.clinician);
  await clin.page.getByRole('link', { name: 'Groups' }).click();
  await clin.page.locator('table th a').first().click();
  await clin.page.locator('table th a[href^="#/clients/"]').first().click();
  await clin.page.getByRole('heading', { level: 2, name: 'Insurance' }).waitFor();
  await clin.page.waitForTimeout(500);
  check('a clinician sees no balance unless the practice allows it', (await clin.page.locator('#ledger').count()) === 0);
  const admin = await watchedPage(browser, 15000);
  await signIn(admin.page, url, 'alex', PASSWORDS.admin);
  await admin.page.goto(url + '/#/balances');
  await admin.page.getByLabel('Clinicians see the balances of their own clients').check();
  await admin.page.waitForTimeout(500);
  await clin.page.reload();
  await clin.page.locator('#ledger-balance').waitFor();
  check('once allowed, the clinician sees the balance and no payment form', (await clin.page.locator('#ledger-form').count()) === 0);
  await admin.page.getByLabel('Clinicians see the balances of their own clients').uncheck();
  await admin.page.waitForTimeout(300);
  await clin.ctx.close();
  await admin.ctx.close();
}

/**
 * A practice's first day, in the browser only: `psyclaim serve` on an empty database shows the first-run
 * page; the practice and its admin are created there; then a clinician, a payer, a client with a
 * diagnosis found by searching, an insurance policy and a treatment plan are added through the forms.
 * No command line step, no demo data.
 */
async function firstRunChecks(browser, dir) {
  const db = join(dir, 'first-run.db');
  const log = [];
  const server = await startServer(db, log);
  const { url } = server;
  const { ctx, page, errors } = await watchedPage(browser, 15000);
  try {
    // the admin's browser reads 22:30 in Chicago (winter; 23:30 in summer), when the UTC date is already
    // tomorrow's: every date the pages offer must still be the practice's today
    const chicago = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
    await page.clock.setFixedTime(new Date(Date.parse(chicago + 'T04:30:00Z') + 86400000));
    await page.goto(url + '/');
    await page.getByRole('heading', { level: 1, name: 'Start your practice' }).waitFor();
    check('an empty database opens on the first-run page', true);
    const fill = async (label, value) => page.getByLabel(label, { exact: true }).fill(value);
    await fill('Legal name', 'Riverbend Counseling Group LLC');
    await fill('NPI the practice bills under', '1234567890'); // 123456789's check digit is 3
    await fill('Tax id (EIN)', '12-3456789');
    await fill('Street address', '200 River Road, Suite 4');
    await fill('City', 'Springfield');
    await page.getByLabel('State', { exact: true }).selectOption('IL');
    await fill('ZIP+4', '62701-1234');
    await page.getByLabel('Time zone').selectOption('America/Chicago');
    await fill('Billing contact', 'Morgan Reyes');
    await fill('Billing phone', '(217) 555-0142');
    await fill('Your user name', 'owner');
    await fill('Password', 'first-day-pass-1');
    await fill('Password again', 'first-day-pass-1');
    await page.getByRole('checkbox', { name: 'Medicare Part B (national amounts)' }).check();
    await page.getByLabel('electronic payer id for Medicare Part B (national amounts)').fill('MCRIL1');
    await page.getByRole('button', { name: 'Create the practice' }).click();
    const npiErr = page.locator('.field', { has: page.getByLabel('NPI the practice bills under') }).locator('.field-error');
    await npiErr.filter({ hasText: /check digit/ }).waitFor();
    check('an NPI with a wrong check digit is refused next to the NPI field', true);
    await fill('NPI the practice bills under', '2234567891');
    await page.getByRole('button', { name: 'Create the practice' }).click();
    await page.getByRole('heading', { level: 1, name: 'Riverbend Counseling Group LLC' }).waitFor();
    check('setting up signs the new admin in on the practice page', true);
    const again = await page.evaluate(async () => (await fetch('/api/setup', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
    check('the first-run endpoint is closed once the practice exists', again === 403, `HTTP ${again}`);
    check('the payer chosen at setup is listed', (await page.locator('table tbody tr', { hasText: 'MCRIL1' }).count()) === 1);

    // a clinician
    await page.getByRole('link', { name: 'Add a clinician' }).click();
    await fill('First name', 'Jordan');
    await fill('Last name', 'Ellis');
    await fill('Credential', 'LCSW');
    await fill('NPI (type 1)', '1234567890');
    await fill('Taxonomy code', '1041C0700X');
    await page.getByRole('button', { name: 'Add clinician' }).click();
    const clinErr = page.locator('.field', { has: page.getByLabel('NPI (type 1)') }).locator('.field-error');
    await clinErr.filter({ hasText: /check digit/i }).waitFor();
    check('a clinician NPI with a wrong check digit is refused next to the field', true);
    await fill('NPI (type 1)', '1234567893');
    await page.getByRole('button', { name: 'Add clinician' }).click();
    await page.locator('table tbody tr', { hasText: 'Ellis, Jordan' }).waitFor();
    check('the clinician is added through the form', true);

    // a payer
    await page.getByRole('link', { name: 'Add a payer' }).click();
    await fill('Name', 'Prairie Health Plan');
    await fill('Electronic payer id', 'PRAIRIE01');
    await page.getByLabel('Kind').selectOption('commercial');
    await fill('Timely filing (days)', '90');
    await page.getByRole('button', { name: 'Add payer' }).click();
    await page.locator('table tbody tr', { hasText: 'PRAIRIE01' }).waitFor();
    check('the payer is added through the form', true);

    // a client with a diagnosis found by searching
    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByRole('link', { name: 'Add a client' }).click();
    await fill('First name', 'Robin');
    await fill('Last name', 'Avery');
    await fill('Birth date', '1988-07-14');
    await page.getByLabel('Sex').selectOption('F');
    await fill('Phone', '217-555-0199');
    await fill('Emergency contact', 'Sam Avery');
    await fill('Emergency contact phone', '217-555-0123');
    await page.getByRole('combobox', { name: 'Diagnoses (ICD-10-CM, in order)' }).fill('ptsd chronic');
    await page.locator('.picker .pick[data-code="F43.12"]').click();
    await page.getByRole('button', { name: 'Add client' }).click();
    await page.getByRole('heading', { level: 1, name: 'Avery, Robin' }).waitFor();
    check('the client is added with the diagnosis picked from the search', (await page.locator('.facts a.code').allTextContents()).includes('F43.12'));
    const clientUrl = page.url();

    // an insurance policy with a copay typed in dollars
    await page.getByRole('link', { name: 'Add a policy' }).click();
    await page.getByLabel('Payer').selectOption({ label: 'Prairie Health Plan' });
    await fill('Member id', 'PHP-0042');
    await fill('Copay ($)', '1,250.5');
    await fill('From', '2025-01-01');
    await page.getByRole('button', { name: 'Add policy' }).click();
    await page.getByRole('heading', { level: 1, name: 'Avery, Robin' }).waitFor();
    const policyRow = await page.locator('tr', { hasText: 'PHP-0042' }).textContent();
    check('the policy is added and its copay shown as dollars with a thousands separator', policyRow.includes('$1,250.50'), policyRow);

    // eligibility: the 270 for the policy, then the payer's 271 read in and shown on the client's page
    const [req270] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download a 270 request' }).click()]);
    const x270 = readFileSync(await req270.path(), 'utf8').split('~').map((x) => x.trim());
    const trn = x270.find((x) => x.startsWith('TRN*1*')) || '';
    check('the 270 asks about the client\'s policy for mental health and psychotherapy',
      x270.some((x) => x.startsWith('NM1*IL*1*AVERY*ROBIN*') && x.endsWith('*MI*PHP-0042')) && x270.includes('EQ*30^MH^A6^A8') && /^TRN\*1\*P\d+C\d+D\d{8}/.test(trn),
      x270.join('~'));
    const body = ['ST*271*0001*005010X279A1', 'BHT*0022*11*X*20250301*1200', 'HL*1**20*1', 'NM1*PR*2*PRAIRIE HEALTH PLAN*****PI*PRAIRIE01',
      'HL*2*1*21*1', 'NM1*1P*2*PRACTICE', 'HL*3*2*22*0', `TRN*2*${trn.split('*')[2]}`, 'NM1*IL*1*AVERY*ROBIN****MI*PHP-0042',
      'EB*1*IND*30^MH', 'EB*B*IND*MH*HM**27*25*****Y', 'EB*F*IND*A6***23***VS*20', 'EB*F*IND*A6***29***VS*12'];
    body.push(`SE*${body.length + 1}*0001`);
    const x271 = ['ISA*00*          *00*          *ZZ*PRAIRIE01      *ZZ*PRACTICE       *250301*1200*^*00501*000000001*0*P*:',
      'GS*HB*PRAIRIE01*PRACTICE*20250301*1200*1*X*005010X279A1', ...body, 'GE*1*1', 'IEA*1*000000001'].join('~\n') + '~\n';
    await page.getByLabel('Read a 271 answer').setInputFiles({ name: 'answer.271', mimeType: 'text/plain', buffer: Buffer.from(x271) });
    const eligRow = page.locator('.eligibility tbody tr', { hasText: 'active' });
    await eligRow.waitFor();
    const eligText = await eligRow.textContent();
    check('the payer\'s 271 is kept with the policy and shown: active, copay $25.00, 12 of 20 visits left',
      eligText.includes('$25.00') && eligText.includes('12 of 20'), eligText);

    // the days of this practice's first records, in its own zone: a plan that began a month ago, an
    // individual session three days ago and a group session two days ago (never in the future)
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
    const daysFrom = (n) => new Date(Date.parse(today + 'T12:00:00Z') + n * 86400000).toISOString().slice(0, 10);
    const planStart = daysFrom(-30);

    // a treatment plan
    await page.getByRole('link', { name: 'Add a treatment plan' }).click();
    await page.getByLabel('Clinician').selectOption({ label: 'Jordan Ellis, LCSW' });
    await page.getByRole('combobox', { name: 'Diagnoses', exact: true }).fill('F43.12');
    await page.locator('.picker .pick[data-code="F43.12"]').click();
    await fill('Problems', 'Nightmares and avoidance since the accident');
    await fill('Goals', 'Sleep through most nights\nDrive to work again');
    await fill('Objectives', 'Fewer than two nightmares a week by the review');
    await fill('Interventions', 'Cognitive processing therapy, weekly; a trauma group on Thursdays');
    await fill('Modalities', 'individual\ngroup');
    await fill('Starts', planStart);
    await fill('Review by', daysFrom(60));
    await page.getByRole('button', { name: 'Add plan' }).click();
    await page.getByRole('heading', { level: 1, name: `Treatment plan from ${planStart}` }).waitFor();
    check('the treatment plan is added through the form', true);
    const planUrl = page.url();

    // a stale save shows both versions
    await page.goto(clientUrl + '/edit');
    await page.getByRole('heading', { level: 1, name: 'Avery, Robin' }).waitFor();
    await page.evaluate(async () => {
      const me = await (await fetch('/api/me')).json();
      const id = location.hash.match(/clients\/(\d+)/)[1];
      const c = await (await fetch(`/api/clients/${id}`)).json();
      await fetch(`/api/clients/${id}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token }, body: JSON.stringify({ version: c.version, phone: '217-555-0111' }) });
    });
    await fill('Phone', '217-555-0122');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.conflict', { hasText: '217-555-0111' }).filter({ hasText: '217-555-0122' }).waitFor();
    check('a stale save says so and shows both versions', true);

    for (const hash of ['#/practice', clientUrl.slice(clientUrl.indexOf('#'))]) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(url + '/' + hash);
      await page.getByRole('heading', { level: 1 }).waitFor();
      check(`${hash} does not scroll sideways at 390 px`, (await sideScroll(page)) <= 0, `${await sideScroll(page)} px too wide`);
    }
    check('no errors in the first-run console', errors.filter((e) => !/status of (403|404|409)/.test(e)).length === 0, errors.join(' | '));
    await page.setViewportSize({ width: 1280, height: 900 });
    await firstDayCare(browser, page, url, { clientUrl, planUrl, daysFrom });
  } finally {
    await ctx.close();
    await stopServer(server.proc);
  }
}

/**
 * The new practice's first week of care, in the web app only: the admin adds a user for the clinician and
 * a group with the client on its roster; the clinician signs the plan, documents and signs an individual
 * session and a group session; the admin builds the claims and exports the payer's 837P.
 */
async function firstDayCare(browser, page, url, { clientUrl, planUrl, daysFrom }) {
  const fill = async (label, value) => page.getByLabel(label, { exact: true }).fill(value);
  const soloDate = daysFrom(-3);
  const groupDate = daysFrom(-2);

  // the admin adds the clinician's user, linked to the clinician record
  await page.goto(url + '/#/users');
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await page.locator('#new-user-name').fill('jellis');
  await page.locator('#new-user-role').selectOption('clinician');
  await page.locator('#new-user-clinician').selectOption({ index: 1 });
  await page.locator('#new-user-password').fill('ellis-first-pass');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator('#users-status', { hasText: 'Added jellis.' }).waitFor();
  check('the admin adds a user for the new clinician', true);

  // a group led by the clinician, with the client on its roster since the plan began
  await page.goto(url + '/#/groups');
  await page.getByRole('link', { name: 'Add a group' }).click();
  await fill('Name', 'Thursday trauma group');
  await page.getByLabel('Clinician', { exact: true }).selectOption({ label: 'Jordan Ellis, LCSW' });
  await fill('Meets', 'Thu 18:00');
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('heading', { level: 1, name: 'Thursday trauma group' }).waitFor();
  const groupUrl = page.url();
  await page.getByRole('link', { name: 'Edit group and roster' }).click();
  await page.getByLabel('Client', { exact: true }).selectOption({ label: 'Avery, Robin' });
  const joinedDefault = await page.getByLabel('Joined on', { exact: true }).inputValue();
  check('a roster member joins today in the practice\'s zone by default', joinedDefault === daysFrom(0), joinedDefault);
  await fill('Joined on', daysFrom(-30));
  await page.getByRole('button', { name: 'Add to roster' }).click();
  await page.locator('table tbody tr', { hasText: 'Avery, Robin' }).waitFor();
  check('the group is added with the client on its roster', true);

  // the clinician signs in, signs the plan and documents the sessions
  const clin = await watchedPage(browser, 15000);
  const cpage = clin.page;
  cpage.on('dialog', (d) => d.accept());
  await signIn(cpage, url, 'jellis', 'ellis-first-pass');
  await cpage.locator('#account .who', { hasText: 'jellis' }).waitFor();
  await cpage.goto(planUrl);
  await cpage.getByRole('button', { name: 'Sign the plan' }).click();
  await cpage.getByRole('button', { name: 'Sign the plan' }).waitFor({ state: 'detached' });
  const planSigned = await cpage.locator('.card dl.facts dd').first().textContent();
  check('the clinician signs the treatment plan', /^\d{4}-\d{2}-\d{2}$/.test(planSigned), planSigned);

  await cpage.goto(clientUrl);
  await cpage.locator('#new-session-kind').selectOption('individual');
  await cpage.locator('#new-session-date').fill(soloDate);
  await cpage.getByRole('button', { name: 'New session' }).click();
  await cpage.locator('#session-state', { hasText: 'Open' }).waitFor();
  await cpage.getByLabel('Started').fill('10:00');
  await cpage.getByLabel('Ended').fill('10:45');
  // 45 minutes: 90834 (CPT time bands, 38-52 minutes)
  await cpage.locator('#session-lines .code', { hasText: '90834' }).waitFor();
  await cpage.getByLabel('Template').selectOption('soap');
  await cpage.getByLabel('Subjective', { exact: true }).fill('Two nightmares this week, down from five; drove to the shop once with a friend.');
  await cpage.getByLabel('Objective', { exact: true }).fill('Alert, affect brighter than at intake; completed the stuck-points worksheet in session.');
  await cpage.getByLabel('Assessment', { exact: true }).fill('Progress on the sleep goal; avoidance of driving remains the main target.');
  await cpage.getByLabel('Plan', { exact: true }).fill('Weekly CPT; a short solo drive before the next session; join the Thursday group.');
  await cpage.locator('#save-status', { hasText: 'Draft saved' }).waitFor();
  const soloFindings = await signSession(cpage, 'Reviewed before signing.');
  check('the individual session is documented and signed (45 minutes: 90834)',
    !soloFindings.some((t) => /^error/.test(t)), soloFindings.join(' | '));

  await cpage.goto(groupUrl);
  await cpage.getByRole('heading', { level: 2, name: 'Roster' }).waitFor();
  await cpage.getByLabel('Date').fill(groupDate);
  await cpage.getByRole('button', { name: 'Open session' }).click();
  await cpage.locator('#session-state', { hasText: 'Open' }).waitFor();
  const groupSessionUrl = cpage.url();
  await cpage.getByLabel('Started').fill('18:00');
  await cpage.getByLabel('Ended').fill('19:30');
  await cpage.locator('table.attendance input[data-client]').first().check();
  for (const [id, label] of [['theme', 'Theme'], ['techniques', 'Techniques and interventions'], ['dynamics', 'Group dynamics'], ['factors', 'Therapeutic factors']])
    await cpage.locator(`#note-0-${id}`).fill(`${label}: safety and trust after a trauma, first meeting of the group.`);
  const member = cpage.locator('.member-notes fieldset').first();
  await member.getByLabel('Participation').fill('Introduced herself and named driving as the goal she brings to the group.');
  await member.getByLabel('Response to interventions').fill('Practised grounding with the group; calmer by the end.');
  await member.getByLabel('Progress toward goals').fill('Shared one short drive this week.');
  await member.getByLabel('Plan').fill('Continue weekly group alongside individual CPT.');
  await cpage.locator('#save-status', { hasText: 'Draft saved' }).waitFor();
  const groupFindings = await signSession(cpage, 'First meeting of a new group; reviewed before signing.');
  const groupLines = await cpage.locator('#session-lines tbody tr').allTextContents();
  check('the group session with the client is documented and signed (90853)',
    groupLines.length === 1 && groupLines[0].includes('90853'), groupLines.join(' | ') + ' / ' + groupFindings.join(' | '));

  // a second session of the group that day: refused as a plain one, opened as a distinct one
  await cpage.goto(groupUrl);
  await cpage.getByRole('heading', { level: 2, name: 'Roster' }).waitFor();
  await cpage.getByLabel('Date').fill(groupDate);
  await cpage.getByRole('button', { name: 'Open session' }).click();
  const refused = await cpage.locator('.new-session p.error', { hasText: 'service_date' }).textContent();
  check('a plain second group session on one date is refused, naming the date', true, refused);
  await cpage.getByLabel('second, distinct session this day').check();
  await cpage.getByLabel('Starts').fill('20:00');
  await cpage.getByLabel('Ends').fill('21:00');
  await cpage.getByRole('button', { name: 'Open session' }).click();
  await cpage.locator('#session-state', { hasText: 'Open' }).waitFor();
  check('a distinct second session opens with its own times', cpage.url() !== groupSessionUrl && await cpage.getByLabel('Started').inputValue() === '20:00',
    `${cpage.url()} ${await cpage.getByLabel('Started').inputValue()}`);
  check('no errors in the new clinician\'s console', clin.errors.filter((e) => !/status of 422/.test(e)).length === 0, clin.errors.join(' | '));
  await clin.ctx.close();

  // the admin builds the claims and exports the payer's 837P
  await page.goto(url + '/#/claims');
  await page.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
  await page.getByRole('button', { name: 'Build claims' }).click();
  await page.locator('.build-summary').waitFor();
  const soloRow = page.locator('table.claims tbody tr', { hasText: soloDate }).filter({ hasText: 'Avery, Robin' }).first();
  await soloRow.waitFor();
  await page.locator('table.claims tbody tr', { hasText: groupDate }).filter({ hasText: 'Avery, Robin' }).first().waitFor();
  check('claims are built for both sessions', true);
  // the client was entered without an address, which an 837P needs for the subscriber: the claims are
  // held in draft, naming the field; the address is added through the client's form and a new scrub
  // releases them
  const held = await page.locator('.build-summary').textContent() + ' ' + await page.locator('.build-problems').textContent();
  check('claims without the subscriber\'s address are held in draft, naming it', /2 held in draft/.test(held) && held.includes('subscriber.address.line1'), held.slice(0, 300));
  await page.goto(clientUrl + '/edit');
  await page.getByRole('heading', { level: 1, name: 'Avery, Robin' }).waitFor();
  await fill('Street address', '14 Mill Lane');
  await fill('City', 'Springfield');
  await page.getByLabel('State', { exact: true }).selectOption('IL');
  await fill('ZIP', '62704');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.facts', { hasText: '14 Mill Lane' }).waitFor();
  await page.goto(url + '/#/claims');
  await page.getByRole('button', { name: 'Scrub all again' }).click();
  await soloRow.locator('.claim-status', { hasText: 'ready' }).waitFor();
  const rescrubbed = await page.locator('.build-summary').textContent();
  check('after the address is added, a new scrub makes the claims ready', /2 ready, 0 held/.test(rescrubbed), rescrubbed);
  const payer = (await soloRow.locator('td').nth(1).textContent()).trim();
  if (!(await page.locator(`.claims-export button[data-payer="${payer}"]:not([disabled])`).count()))
    throw new Error(`no claims ready for ${payer}: ${(await page.locator('main').textContent()).slice(0, 3000)}`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(`.claims-export button[data-payer="${payer}"]:not([disabled])`).click()]);
  const x837 = readFileSync(await dl.path(), 'utf8');
  const segs = x837.split('~').map((x) => x.trim());
  check('the 837P goes to the new payer for the new client',
    segs.some((x) => x.startsWith('NM1*PR*') && x.endsWith('*PRAIRIE01')) && segs.some((x) => x.startsWith('NM1*IL*') && x.includes('*AVERY*ROBIN*') && x.endsWith('*PHP-0042')),
    segs.filter((x) => /^NM1\*(PR|IL)/.test(x)).join(' | '));
  const lines = segs.filter((x) => x.startsWith('SV1*')).map((x) => x.split('*')[1]);
  const dates = segs.filter((x) => x.startsWith('DTP*472*D8*')).map((x) => x.split('*')[3]);
  check('the 837P has the individual line (90834) and the group line (90853) on their dates',
    lines.includes('HC:90834') && lines.includes('HC:90853') && dates.includes(soloDate.replace(/-/g, '')) && dates.includes(groupDate.replace(/-/g, '')),
    `${lines.join(',')} ${dates.join(',')}`);
}

// --- the Users page: an admin adds a clinician user, who signs in and changes their own password ----------
async function usersChecks(browser, url) {
  const admin = await watchedPage(browser, 15000);
  const apage = admin.page;
  await signIn(apage, url, 'alex', PASSWORDS.admin);
  await apage.getByRole('link', { name: 'Users' }).click();
  await apage.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await apage.locator('#new-user-name').fill('Riley');
  await apage.locator('#new-user-role').selectOption('clinician');
  await apage.locator('#new-user-clinician').selectOption({ index: 1 });
  await apage.locator('#new-user-password').fill('riley-first-pass');
  await apage.getByRole('button', { name: 'Add user' }).click();
  await apage.locator('#users-status', { hasText: 'Added riley.' }).waitFor();
  const row = await apage.locator('tbody tr', { hasText: 'riley' }).textContent();
  check('the admin adds a clinician user on the Users page', /clinician/.test(await apage.locator('tbody tr', { hasText: 'riley' }).locator('select').first().inputValue()) && /active/.test(row), row);
  check('no errors in the Users page console', admin.errors.length === 0, admin.errors.join(' | '));
  await admin.ctx.close();

  const user = await watchedPage(browser, 15000);
  const page = user.page;
  await signIn(page, url, 'riley', 'riley-first-pass');
  await page.locator('#account .who', { hasText: 'riley' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  check('the new user signs in and opens their account', (await page.locator('#account .who .role').textContent()) === 'clinician');
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password').fill('riley-own-pass');
  await page.getByRole('button', { name: 'Change password' }).click();
  const refused = await page.locator('p.error[role="alert"]', { hasText: 'current_password' }).textContent();
  check('a wrong current password is refused, naming the field', /not your password/.test(refused), refused);
  await page.getByLabel('Current password').fill('riley-first-pass');
  await page.getByLabel('New password').fill('riley-own-pass');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed.').waitFor();
  check('the user changes their own password', true);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await signIn(page, url, 'riley', 'riley-first-pass');
  await page.locator('#login-error', { hasText: /wrong/i }).waitFor();
  check('the old password no longer signs in', true);
  await signIn(page, url, 'riley', 'riley-own-pass');
  await page.locator('#account .who', { hasText: 'riley' }).waitFor();
  check('the new password signs in', true);
  const unexpected = user.errors.filter((e) => !/status of 403/.test(e)); // the wrong current password
  check('no errors in the account page console', unexpected.length === 0, unexpected.join(' | '));
  await user.ctx.close();
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
  if (args.includes('--first-run-only')) {
    try {
      await firstRunChecks(browser, dir);
    } catch (e) {
      check('the first-run scenario finished', false, e.stack || String(e));
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`browser: ${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  }
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
    check('the sign-in form asks for no practice number', (await page.getByLabel('Practice number').count()) === 0);
    check('the practice chooser stays hidden until the password opens several practices', await page.locator('#login-practice').isHidden());
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
    // the address follows the last keystroke (it may trail the results by a moment on a busy machine)
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('#/search?')[1]).get('q') === 'ptsd chron',
      null, { timeout: 5000 }).catch(() => {});
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
    check('a clinician sees no incoming files link', (await page.getByRole('link', { name: 'Incoming files' }).count()) === 0);
    await page.locator('#coding-status', { hasText: 'Type the minutes' }).waitFor();
    const minutesError = await page.locator('#cs-minutes-error').textContent();
    check('without minutes the form asks for them, without an error', minutesError === '' &&
      (await page.locator('[aria-invalid="true"]').count()) === 0, minutesError);
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
    await bpage.getByRole('link', { name: 'Incoming files' }).click();
    await bpage.getByRole('heading', { level: 1, name: 'Incoming files' }).waitFor();
    await bpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles({ name: 'bad.835', mimeType: 'text/plain', buffer: Buffer.from('ISA*00*not an 835~') });
    await bpage.locator('#era-error', { hasText: /segment 1/ }).waitFor();
    check('a malformed 835 names the segment', true);
    await bpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles(join(here, '../data/x12/835-small.x12'));
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
    await cpage.getByRole('link', { name: 'Incoming files' }).click();
    await cpage.getByRole('heading', { level: 1, name: 'Incoming files' }).waitFor();
    await cpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles({ name: 'payer.835', mimeType: 'text/plain', buffer: Buffer.from(make835(x837)) });
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

    // --- a second payer's batch: its 277CA rejects one claim, which is corrected and sent again ---
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    await cpage.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    const export2 = cpage.locator('.claims-export button[data-payer]:not([disabled])').first();
    const payer2 = await export2.getAttribute('data-payer');
    const [dl2] = await Promise.all([cpage.waitForEvent('download'), export2.click()]);
    const x837b = readFileSync(await dl2.path(), 'utf8');
    await cpage.locator('#export-result', { hasText: 'submitted' }).waitFor();
    const ack = make277(x837b);
    await cpage.getByRole('link', { name: 'Incoming files' }).click();
    await cpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles({ name: 'payer.277', mimeType: 'text/plain', buffer: Buffer.from(ack.file) });
    const ackRead = await cpage.locator('.era-summary').textContent();
    check('a 277CA is read as one, with its verdicts', /277CA: \d+ accepted, 1 rejected/.test(ackRead), ackRead);
    check('the rejected claim\'s status is in words', (await cpage.locator('article.era-claim.denied', { hasText: ack.rejected }).textContent()).includes('Missing or invalid information'));
    await cpage.getByRole('button', { name: 'Post' }).click();
    await cpage.locator('#post-result .badges li', { hasText: 'errors recorded' }).waitFor();
    const ackBadges = await cpage.locator('#post-result .badges li').allTextContents();
    check('posting the 277CA rejects one claim', ackBadges.some((b) => /^1 rejected/.test(b)), ackBadges.join(' | '));
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    await cpage.getByLabel('Status').selectOption('rejected');
    await cpage.getByRole('button', { name: 'Show' }).click();
    await cpage.locator('table.claims tbody tr th a', { hasText: ack.rejected }).click();
    await cpage.getByRole('heading', { level: 2, name: 'Acknowledgements' }).waitFor();
    const ackText = await cpage.locator('ul.acks').textContent();
    check('the rejected claim shows its errors in words', /277CA rejected/.test(ackText) && /Missing or invalid information/.test(ackText), ackText);
    await cpage.getByRole('button', { name: 'Corrected: make ready again' }).click();
    await cpage.locator('h1 .claim-status', { hasText: 'ready' }).waitFor();
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    const again2 = cpage.locator(`.claims-export button[data-payer="${payer2}"]`);
    const [dl3] = await Promise.all([cpage.waitForEvent('download'), again2.click()]);
    const x837c = readFileSync(await dl3.path(), 'utf8');
    const ctl = (x) => x.split('~')[0].split('*')[13];
    check('the corrected claim is sent again with a new interchange control number', x837c.includes(`CLM*${ack.rejected}*`) && ctl(x837c) !== ctl(x837b), `${ctl(x837b)} -> ${ctl(x837c)}`);
    await cpage.getByLabel('Status').selectOption('submitted');
    await cpage.getByRole('button', { name: 'Show' }).click();
    await cpage.locator('table.claims tbody tr th a', { hasText: ack.rejected }).click();
    await cpage.getByRole('heading', { level: 2, name: 'Sent' }).waitFor();
    check('the claim page shows both rounds', (await cpage.locator('ol.rounds li').count()) === 2);
    // a paid claim corrected: its replacement (frequency 7) carries the payer's claim number, and the
    // claim page shows the chain, the original first
    cpage.on('dialog', (d) => d.accept());
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    await cpage.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    await cpage.locator('#timely').waitFor();
    check('the claims page has the timely-filing report', /Timely filing/.test(await cpage.locator('#timely').textContent()));
    await cpage.getByLabel('Status').selectOption('paid');
    await cpage.getByRole('button', { name: 'Show' }).click();
    await cpage.waitForFunction(() => {
      const s = [...document.querySelectorAll('table.claims tbody .claim-status')];
      return s.length > 0 && s.every((e) => e.textContent === 'paid');
    });
    const original = await cpage.locator('table.claims tbody tr th a').first().textContent();
    await cpage.locator('table.claims tbody tr th a').first().click();
    await cpage.getByRole('button', { name: 'Correct (replacement claim)' }).click();
    await cpage.locator('dd', { hasText: 'replacement (frequency 7)' }).waitFor();
    const replFacts = await cpage.locator('dl.facts').textContent();
    check('correcting a paid claim opens its replacement with the payer\'s claim number', /of the payer's claim ICN\d+/.test(replFacts), replFacts.slice(0, 400));
    const chain = await cpage.locator('ol.chain li').allTextContents();
    check('the replacement\'s page shows the chain, the original first', chain.length === 2 && chain[0].includes(original) && /replacement/.test(chain[1]), chain.join(' | '));
    check('a replacement not yet sent offers no correction of its own', (await cpage.getByRole('button', { name: 'Void' }).count()) === 0);

    // --- coordination of benefits: the demo client with a Medicare primary and a Cedar Mutual secondary
    // policy. The primary's 835 pays part of each line, writes off CO 45 and leaves PR 2; posting it
    // builds the secondary payer's claims, whose 837P carries the primary's adjudication (2320 AMT*D,
    // 2430 SVD); the secondary's 835 pays part of the patient's share and leaves the rest on the ledger.
    const incoming = async (name, file) => {
      await cpage.getByRole('link', { name: 'Incoming files' }).click();
      await cpage.getByRole('heading', { level: 1, name: 'Incoming files' }).waitFor();
      await cpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(file) });
      await cpage.locator('.era-summary').waitFor();
      await cpage.getByRole('button', { name: 'Post' }).click();
      await cpage.locator('#post-result h2', { hasText: 'Posted' }).waitFor();
      return cpage.locator('#post-result .badges li').allTextContents();
    };
    const exportPayer = async (code) => {
      await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
      await cpage.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
      const [d] = await Promise.all([cpage.waitForEvent('download'), cpage.locator(`.claims-export button[data-payer="${code}"]`).click()]);
      await cpage.locator('#export-result', { hasText: 'submitted' }).waitFor();
      return readFileSync(await d.path(), 'utf8');
    };
    const primarySplit = (c) => {
      const paid = Math.round(c * 0.6), off = Math.round(c * 0.2);
      return { paid, cas: [['CO', 45, off], ['PR', 2, c - paid - off]] };
    };
    const x837m = await exportPayer('DEMOMCR01');
    const m835 = make835Lines(x837m, { payer: 'MEDICARE PART B DEMO', trace: 'EFT0002', isa: '000000778', status: 1, split: primarySplit });
    const mBadges = await incoming('medicare.835', m835.file);
    const nextBadge = mBadges.find((b) => /for the next payer/.test(b)) || '';
    check('posting the primary\'s 835 builds the secondary payer\'s claims', /^\d+ claims? for the next payer$/.test(nextBadge), mBadges.join(' | '));
    await cpage.getByRole('link', { name: 'Claims', exact: true }).first().click();
    await cpage.getByLabel('Status').selectOption('ready');
    await cpage.getByRole('button', { name: 'Show' }).click();
    await cpage.locator('table.claims tbody tr', { hasText: 'DEMOCDR01' }).first().locator('th a').click();
    await cpage.getByRole('heading', { level: 2, name: 'Chain' }).waitFor();
    const cob = await cpage.locator('ol.chain li').allTextContents();
    const dollars = (c) => `$${(c / 100).toFixed(2)}`;
    const first = m835.claims.find((c) => cob.length && cob[0].startsWith(c.number + ' '));
    check('the secondary claim\'s page shows its chain: the primary\'s claim with what it paid, then the next payer\'s',
      cob.length === 2 && first && /original, DEMOMCR01/.test(cob[0]) && cob[0].includes(`paid ${dollars(first.paid)}`) &&
      /next payer, DEMOCDR01/.test(cob[1]), cob.join(' | '));
    const clientHref = await cpage.locator('dl.facts a[href^="#/clients/"]').getAttribute('href');
    const x837s = await exportPayer('DEMOCDR01');
    const sClaims = x837s.split('~').map((x) => x.trim()).filter((x) => x.startsWith('CLM*')).length;
    check('the secondary\'s 837P carries the primary\'s adjudication (2320 AMT*D, 2430 SVD) on every claim',
      sClaims > 0 && (x837s.match(/~\s*AMT\*D\*/g) || []).length === sClaims && /~\s*SVD\*/.test(x837s) && /~\s*SBR\*S\*/.test(x837s),
      `${sClaims} claims`);
    check('one secondary claim for each claim the primary left a share of', Number(nextBadge.split(' ')[0]) === sClaims, `${nextBadge}; ${sClaims} sent`);
    const secondarySplit = (c) => {
      const p = primarySplit(c), share = p.cas[1][2], paid = Math.round(share / 2);
      return { paid, cas: [['OA', 23, p.paid + p.cas[0][2]], ['PR', 2, share - paid]] };
    };
    const s835 = make835Lines(x837s, { payer: 'CEDAR MUTUAL DEMO', trace: 'EFT0003', isa: '000000779', status: 2, split: secondarySplit });
    const sBadges = await incoming('cedar.835', s835.claims.length ? s835.file : '');
    check('the secondary\'s 835 posts to its claims', sBadges.some((b) => new RegExp(`^${s835.claims.length} claims? matched`).test(b)), sBadges.join(' | '));
    await cpage.goto(url + '/' + clientHref);
    await cpage.locator('#ledger-balance').waitFor();
    const shares = await cpage.locator('#ledger tbody tr', { hasText: 'Insurance says you owe' }).allTextContents();
    const owed = s835.claims[0].pr;
    const owedText = dollars(owed);
    check('the client\'s ledger shows the patient\'s share the last payer left (CAS PR)',
      shares.length === s835.claims.length && owed > 0 && shares.some((t) => t.includes(owedText)), `${owedText} in ${shares.join(' | ')}`);
    // a 271 read on Incoming files: each answer in words (005010X279A1: EB*B copay $25 in network, AAA*N**72
    // an invalid member id), as the client's page shows them
    await cpage.getByRole('link', { name: 'Incoming files' }).click();
    await cpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles(join(here, '../data/x12/271-mh-benefits.x12'));
    await cpage.locator('.era-summary', { hasText: '271' }).waitFor();
    const eligRow = await cpage.locator('table.elig-answers tbody tr').first().textContent();
    check('a 271 on Incoming files shows the coverage, copay and visits left', /active/.test(eligRow) && eligRow.includes('$25.00') && /12 of 20/.test(eligRow), eligRow);
    await cpage.getByLabel('Incoming file (835, 999, 277CA or 271)').setInputFiles(join(here, '../data/x12/271-aaa-subscriber.x12'));
    await cpage.locator('.era-summary', { hasText: '1 rejected' }).waitFor();
    const aaa = await cpage.locator('table.elig-answers tbody').textContent();
    check('a 271 rejection is shown in words', /72 invalid or missing subscriber \(member\) id/i.test(aaa), aaa);
    await cpage.getByRole('button', { name: 'Post' }).click();
    await cpage.locator('#post-result', { hasText: 'matched no policy' }).waitFor();
    check('posting a 271 says where its answers went', /1 answer: 0 kept with their policy, 0 kept before, 1 matched no policy/.test(await cpage.locator('#post-result').textContent()));
    check('no errors in the claims console', cErrors.length === 0, cErrors.join(' | '));
    await cctx.close();

    // --- the demo clinician documents an individual session from a client's page, with the SOAP template ---
    // the browser runs in Tokyo, the practice in Chicago: dates and times must follow the practice
    const vctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Tokyo' });
    const vpage = await vctx.newPage();
    vpage.setDefaultTimeout(15000);
    const vErrors = [];
    vpage.on('console', (m) => { if (m.type() === 'error' && !/status of (401|409|422)/.test(m.text())) vErrors.push(m.text()); });
    vpage.on('pageerror', (e) => vErrors.push(String(e)));
    let confirmations = 0;
    vpage.on('dialog', (d) => { confirmations++; d.accept(); });
    await signIn(vpage, url, 'dana', PASSWORDS.clinician);
    await vpage.getByRole('link', { name: 'Groups' }).click();
    await vpage.locator('table th a').first().click();
    await vpage.getByRole('heading', { level: 2, name: 'Roster' }).waitFor();
    const rosterFirst = vpage.locator('table th a[href^="#/clients/"]').first();
    const clientName = await rosterFirst.textContent(); // "Last, First"
    await rosterFirst.click();
    await vpage.getByRole('button', { name: 'New session' }).waitFor();
    const chicagoToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
    // sessions after today in the practice's zone are refused, and claims are not billed ahead of their
    // date: the group session on the last Saturday before today, the individual session the day before it
    // (the demo's groups meet Sunday to Wednesday, and a group's second session on a date is refused)
    const groupDay = new Date(Date.now() - 86400000);
    while (groupDay.getUTCDay() !== 6) groupDay.setTime(groupDay.getTime() - 86400000);
    const groupDate = groupDay.toISOString().slice(0, 10);
    const dayBeforeDate = new Date(groupDay.getTime() - 86400000).toISOString().slice(0, 10); // the Friday before
    check('a new session\'s date defaults to today in the practice\'s time zone', await vpage.locator('#new-session-date').inputValue() === chicagoToday,
      await vpage.locator('#new-session-date').inputValue());
    await vpage.getByLabel('Kind').selectOption('individual');
    await vpage.locator('#new-session-date').fill(dayBeforeDate);
    await vpage.getByRole('button', { name: 'New session' }).click();
    await vpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    const visitUrl = vpage.url();
    check('the session opens from the client\'s page', /#\/sessions\/\d+$/.test(visitUrl), visitUrl);
    await vpage.getByLabel('Started').fill('10:00');
    await vpage.getByLabel('Ended').fill('10:55');
    await vpage.locator('#session-lines .code', { hasText: '90837' }).waitFor();
    check('typing the times codes the session live (55 minutes: 90837)', true);
    const lineRules = await vpage.locator('#session-lines .rule-ids').first().textContent();
    check('the lines show their rule ids beside the form', /R-TIME-1/.test(lineRules), lineRules);
    await vpage.getByLabel('Ended').fill('10:40');
    await vpage.locator('#session-lines .code', { hasText: '90834' }).waitFor();
    check('changing the end time changes the code (40 minutes: 90834)', true);
    await vpage.getByLabel('Template').selectOption('soap');
    for (const label of ['Subjective', 'Objective', 'Assessment', 'Plan'])
      check(`the SOAP template shows its ${label} section`, (await vpage.getByLabel(label, { exact: true }).count()) === 1);
    await vpage.getByLabel('Subjective', { exact: true }).fill('Reported fewer panic episodes since starting the breathing routine; described a hard week at work.');
    await vpage.getByLabel('Objective', { exact: true }).fill('Calm affect, good eye contact. Cognitive restructuring of catastrophic thoughts about the job review.');
    // leave the page before the pause that saves: the draft must survive
    await vpage.reload();
    await vpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    await vpage.locator('#save-status', { hasText: /Draft saved|Restored/ }).waitFor();
    check('a reload keeps what was typed (nothing lost to a page change)',
      /fewer panic episodes/.test(await vpage.getByLabel('Subjective', { exact: true }).inputValue()) &&
      await vpage.getByLabel('Ended').inputValue() === '10:40');
    await vpage.getByLabel('Assessment', { exact: true }).fill('Progress on goal 1 (reduce panic to one episode a week): three episodes, down from six.');
    await vpage.getByLabel('Plan', { exact: true }).fill('Continue weekly; practise the thought record twice before next session.');
    await vpage.locator('#save-status', { hasText: 'Draft saved' }).waitFor();
    check('the draft is saved on the server after a pause in typing', true);
    // the sign-in ends: the page keeps what is typed and saves it after the next sign-in
    await vctx.clearCookies();
    await vpage.getByLabel('Plan', { exact: true }).fill('Continue weekly; practise the thought record twice before next session. Review sleep diary.');
    await vpage.locator('#save-status', { hasText: 'sign in again' }).waitFor();
    check('an ended sign-in is said, and the draft kept', true);
    await signIn(vpage, url, 'dana', PASSWORDS.clinician);
    await vpage.goto(visitUrl);
    await vpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    await vpage.locator('#save-status', { hasText: 'Draft saved' }).waitFor();
    check('signing in again restores the draft and saves it', /sleep diary/.test(await vpage.getByLabel('Plan', { exact: true }).inputValue()));
    const dialogsBefore = confirmations;
    const unexpected = await signSession(vpage, 'Reviewed with the supervisor before signing.');
    check('the individual session is signed without errors', unexpected.length === 0 || !unexpected.some((t) => /^error/.test(t)), unexpected.join(' | '));
    check('signing asks for confirmation', confirmations === dialogsBefore + 1, `${confirmations - dialogsBefore} dialogs`);
    check('the signed note is read-only', (await vpage.getByLabel('Plan', { exact: true }).getAttribute('readonly')) !== null);

    // a crisis session of 20 minutes cannot be billed (90839 needs 30): signing lists the error by the
    // client's name and needs a written reason, which the session then shows
    const clientFull = clientName.split(', ').reverse().join(' ');
    const twoDaysAgo = new Date(groupDay.getTime() - 2 * 86400000).toISOString().slice(0, 10);
    await vpage.getByRole('link', { name: clientFull }).click();
    await vpage.getByLabel('Kind').selectOption('crisis');
    await vpage.locator('#new-session-date').fill(twoDaysAgo);
    await vpage.getByRole('button', { name: 'New session' }).click();
    await vpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    await vpage.getByLabel('Started').fill('09:00');
    await vpage.getByLabel('Ended').fill('09:20');
    await vpage.getByLabel('Template').selectOption('dap');
    await vpage.getByLabel('Data: interventions', { exact: true }).fill('Safety planning after a panic attack at work; grounding and paced breathing practised.');
    await vpage.getByLabel('Data: the client', { exact: true }).fill('Arrived tearful, settled within ten minutes, named two people to call.');
    await vpage.getByLabel('Assessment', { exact: true }).fill('No risk to self; goal 1 set back by the week, skills used when prompted.');
    await vpage.getByLabel('Plan', { exact: true }).fill('Regular session on Thursday; call the clinic line if the panic returns.');
    const crisisDialogs = confirmations;
    const listed = await signSession(vpage, 'Brief crisis contact documented for the record; not to be billed.');
    check('signing lists the errors beside the button, naming the client',
      listed.some((t) => /^error/.test(t) && t.includes(`${clientFull}: `)), listed.join(' | '));
    check('a written reason signs over the errors and the session shows it',
      /not to be billed/.test(await vpage.locator('#session-override').textContent()));
    check('signing over errors asks for confirmation too', confirmations === crisisDialogs + 1, `${confirmations - crisisDialogs} dialogs`);
    check('no errors in the individual session\'s console', vErrors.length === 0, vErrors.join(' | '));
    await vctx.close();

    // --- the demo clinician documents a group session and signs it ---
    const { ctx: dctx, page: dpage, errors: dErrors } = await watchedPage(browser, 15000);
    await signIn(dpage, url, 'dana', PASSWORDS.clinician);
    await dpage.getByRole('link', { name: 'Groups' }).click();
    await dpage.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
    const groupLinks = await dpage.locator('table th a').allTextContents();
    check('a clinician sees only the groups they lead', groupLinks.length === 1, groupLinks.join(' | '));
    await dpage.locator('table th a').first().click();
    await dpage.getByRole('heading', { level: 2, name: 'Roster' }).waitFor();
    await dpage.getByLabel('Date').fill(groupDate);
    await dpage.getByRole('button', { name: 'Open session' }).click();
    await dpage.locator('#session-state', { hasText: 'Open' }).waitFor();
    check('a new session opens for documentation', /#\/sessions\/\d+$/.test(dpage.url()), dpage.url());
    await dpage.getByLabel('Started').fill('18:00');
    await dpage.getByLabel('Ended').fill('19:30');
    const boxes = dpage.locator('table.attendance input[data-client]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await boxes.nth(2).check();
    await boxes.nth(2).uncheck();
    check('notes appear for present members only', (await dpage.locator('.member-notes fieldset').count()) === 2);
    // a member's own 90785 box codes an interactive-complexity line for that member alone, and takes it
    // back when cleared; on a phone (390 px) the attendance fits: no sideways scrolling, the box in view
    await dpage.setViewportSize({ width: 390, height: 844 });
    const fits = await dpage.evaluate(() => { const t = document.querySelector('table.attendance'); return t.scrollWidth - t.clientWidth; });
    check('the group session page does not scroll sideways at 390 px', (await sideScroll(dpage)) <= 0 && fits <= 0,
      `page ${await sideScroll(dpage)} px, attendance ${fits} px too wide`);
    const icBox = dpage.locator('table.attendance input.complexity').first();
    const icAt = await icBox.boundingBox();
    check('a member\'s 90785 box is within the 390 px screen', icAt && icAt.x >= 0 && icAt.x + icAt.width <= 390, JSON.stringify(icAt));
    await icBox.check();
    const icLine = dpage.locator('#session-lines tbody tr', { hasText: '90785' });
    await icLine.waitFor();
    check('checking a member\'s 90785 box adds one 90785 line', (await icLine.count()) === 1, String(await icLine.count()));
    await icBox.uncheck();
    await icLine.waitFor({ state: 'detached' });
    check('clearing it takes the 90785 line back', (await icLine.count()) === 0);
    await dpage.setViewportSize({ width: 1280, height: 900 });
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
    dpage.on('dialog', (d) => d.accept());
    await signSession(dpage, 'Reviewed with the supervisor; corrections follow as addenda.');
    const gLines = await dpage.locator('#session-lines tbody tr').count();
    check('the group session is signed and locked', true);
    check('the group session shows a claim line per present member', gLines === 2, String(gLines));
    check('signed notes are read-only', (await dpage.locator('#note-0-theme').getAttribute('readonly')) !== null);
    check('no errors in the clinician\'s session console', dErrors.length === 0, dErrors.join(' | '));
    await dctx.close();

    // --- the biller builds the claims of those two sessions and exports them through the Claims page ---
    const { ctx: ectx, page: epage, errors: eErrors } = await watchedPage(browser, 20000);
    await signIn(epage, url, 'bo', PASSWORDS.biller);
    await epage.getByRole('link', { name: 'Claims' }).click();
    await epage.getByRole('button', { name: 'Build claims' }).click();
    await epage.locator('.build-summary').waitFor();
    // the list is drawn again after the build: wait for the new claims rather than read the old list
    await epage.locator('table.claims tbody tr', { hasText: groupDate }).filter({ hasText: clientName }).first().waitFor();
    await epage.locator('table.claims tbody tr', { hasText: dayBeforeDate }).filter({ hasText: clientName }).first().waitFor();
    const newRows = [...await epage.locator('table.claims tbody tr', { hasText: dayBeforeDate }).allTextContents(),
      ...await epage.locator('table.claims tbody tr', { hasText: groupDate }).allTextContents()];
    check('claims are built for the documented individual and group sessions',
      newRows.some((r) => r.includes(dayBeforeDate) && r.includes(clientName)) && newRows.some((r) => r.includes(groupDate) && r.includes(clientName)),
      newRows.join(' | '));
    const newRow = epage.locator('table.claims tbody tr', { hasText: dayBeforeDate }).filter({ hasText: clientName }).first();
    const newPayer = (await newRow.locator('td').nth(1).textContent()).trim();
    const exp = epage.locator(`.claims-export button[data-payer="${newPayer}"]:not([disabled])`);
    if (await exp.count()) {
      const [edl] = await Promise.all([epage.waitForEvent('download'), exp.click()]);
      const ex837 = readFileSync(await edl.path(), 'utf8');
      check('the new claims export as an 837P', ex837.startsWith('ISA*') && ex837.includes('*D8*' + dayBeforeDate.replace(/-/g, '')), edl.suggestedFilename() + ' ' + newRows.join(' | '));
    } else {
      await newRow.locator('th a').click();
      await epage.getByRole('heading', { level: 2, name: 'Lines' }).waitFor();
      check('the new claims export as an 837P', false, 'no payer with ready claims: ' + await epage.locator('main').textContent());
    }
    await epage.locator('#superbill-client').fill(clientName.split(',')[0]);
    await epage.locator('#superbill-clients option').first().waitFor({ state: 'attached' });
    // the list holds the first clients until the search typed answers: wait for that answer (or time out)
    await epage.waitForFunction((last) => {
      const o = document.querySelector('#superbill-clients option');
      return o && o.value.startsWith(last);
    }, clientName.split(',')[0], { timeout: 10000 }).catch(() => {});
    const option = await epage.locator('#superbill-clients option').first().getAttribute('value');
    check('the superbill picks its client by name', option !== null && option.startsWith(clientName.split(',')[0]), String(option));
    check('no errors in the biller\'s console after the new sessions', eErrors.length === 0, eErrors.join(' | '));
    await ectx.close();

    // --- Code a session: nothing typed is no error; a group of 8 shows 8 lines and the group's total ---
    const { ctx: kctx, page: kpage } = await watchedPage(browser, 15000);
    await signIn(kpage, url, 'bo', PASSWORDS.biller);
    await kpage.getByRole('link', { name: 'Code a session' }).click();
    await kpage.locator('#coding-status', { hasText: 'Type the minutes' }).waitFor();
    check('Code a session opens without an error', (await kpage.locator('#coding-result .error, [aria-invalid="true"]').count()) === 0);
    await kpage.getByLabel('Kind of session').selectOption('group');
    await kpage.getByLabel('Participants present').fill('8');
    await kpage.locator('.coded-line .sub', { hasText: 'member 8 of 8' }).waitFor();
    const perMember = await kpage.locator('tbody.coded-line').count();
    const total = await kpage.locator('table.coded-lines tfoot td.num').textContent();
    const each = await kpage.locator('tbody.coded-line td.num').first().textContent();
    const cents = (t) => Math.round(Number(t.replace(/[$,]/g, '')) * 100);
    check('a group of 8 shows every member\'s line', perMember === 8, String(perMember));
    check('and the group\'s total', cents(total) === 8 * cents(each), `${total} vs 8 x ${each}`);
    await kctx.close();

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
    // the trail is paged, newest first: read the older pages too
    for (let pageNo = 0; pageNo < 5 && !(await apage.getByRole('button', { name: 'Older' }).isDisabled()); pageNo++) {
      const first = await apage.locator('table.audit tbody tr').first().textContent();
      await apage.getByRole('button', { name: 'Older' }).click();
      await apage.waitForFunction((f) => document.querySelector('table.audit tbody tr').textContent !== f, first);
      actions.push(...await apage.locator('table.audit td .action').allTextContents());
    }
    check('the audit trail lists sign-ins, the failure, the sign-out and the remittance read',
      ['login', 'login.failed', 'logout', 'audit.read', 'era.read'].every((a) => actions.includes(a)), actions.join(', '));
    await apage.getByLabel('Action').fill('login.failed');
    await apage.getByRole('button', { name: 'Filter' }).click();
    await apage.waitForFunction(() => [...document.querySelectorAll('table.audit td .action')].every((e) => e.textContent === 'login.failed'));
    const failedOnly = await apage.locator('table.audit td .action').allTextContents();
    check('the audit filter shows only the action asked for', failedOnly.length >= 1 && failedOnly.every((a) => a === 'login.failed'), failedOnly.join(', '));
    const [csv] = await Promise.all([apage.waitForEvent('download'), apage.getByRole('button', { name: 'Download CSV' }).click()]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    check('the audit CSV holds the filtered events', csvText.startsWith('id,at,username,action') && csvText.includes('"login.failed"') && !csvText.includes('"era.read"'), csvText.slice(0, 120));
    await actx.close();

    await usersChecks(browser, url);
    await widgetChecks(browser, url);
    await narrowChecks(browser, url);
    await ledgerChecks(browser, url);
    await firstRunChecks(browser, dir);

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
