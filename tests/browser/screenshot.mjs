// screenshot.mjs -- the pictures in README.md: `psyclaim serve` on a database made like `make demo`
// does (demo practice, claims built, the official ICD-10-CM and HCPCS files when ../shared/data is
// beside the checkout), photographed in headless Chromium through playwright-core: the search page with
// results for "depress", and the claims list.
//
// usage: node screenshot.mjs [--bin PATH_TO_PSYCLAIM] [--out DIR]   (default: docs/images)

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import playwright from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const bin = opt('--bin', join(here, '../../build/psyclaim'));
const out = opt('--out', join(here, '../../docs/images'));
const shared = join(here, '../../../shared/data');
const PASSWORD = 'screenshot-admin-pass';

function run(...argv) {
  const r = spawnSync(bin, argv, { encoding: 'utf8', input: PASSWORD + '\n' });
  if (r.status !== 0) throw new Error(`psyclaim ${argv[0]}: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'psyclaim-shot-'));
const db = join(dir, 'demo.db');
let server;
let browser;
try {
  const icd = join(shared, 'icd10cm/icd10cm_order_2022_fixedwidth.txt');
  if (existsSync(icd)) {
    run('import', '--db', db, '--quiet', 'icd10cm', icd);
    run('import', '--db', db, '--quiet', 'hcpcs', join(shared, 'hcpcs/HCPC2025_OCT_ANWEB.tsv'));
  }
  run('demo-data', '--db', db);
  run('claims', 'build', '--db', db);
  run('user', 'add', '--db', db, '--username', 'admin', '--role', 'admin');
  server = spawn(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--threads', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    server.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/serving (http:\/\/\S+?)\/? /);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  browser = await playwright.chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--no-proxy-server', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(20000);
  await page.goto(url + '/');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Search codes' }).waitFor();
  await page.locator('#search-q').fill('depress');
  await page.locator('#search-results[data-q="depress"] [role="option"]').first().waitFor();
  await page.screenshot({ path: join(out, 'search.png') });
  await page.goto(url + '/#/claims');
  await page.locator('table.claims tbody tr').first().waitFor();
  await page.screenshot({ path: join(out, 'claims.png') });
  console.log(`wrote ${join(out, 'search.png')} and ${join(out, 'claims.png')}`);
} finally {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
