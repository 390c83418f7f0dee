// import.js -- "Import clients" (#/import, admins and billers): a practice coming from another system
// brings its clients, their diagnoses and one insurance policy per row from a CSV file (the layout of
// docs/importing.md). Choosing a file runs a dry run (POST /api/import/clients?dry_run=1, which writes
// nothing) and lists every refused row with each problem by column -- never the values. Then the file
// is imported whole (when every row is good) or only its good rows (skip_bad=1), and the result shown.

import { h, replace } from './dom.js';
import { upload, ApiError } from './api.js';

const plural = (n, one, many) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The refused rows, one table row per problem: row number, column, why. */
function problemsTable(report, caption) {
  if (!report.problems.length) return null;
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'import-problems', id: 'import-problems' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ['Row', 'Column', 'Problem'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, report.problems.map((p) => h('tr', {},
        h('td', { class: 'num' }, String(p.row)),
        h('td', {}, h('code', {}, p.column)),
        h('td', {}, p.message))))));
}

function dryRunSummary(r) {
  const read = `${plural(r.rows, 'row', 'rows')} read: `;
  if (!r.refused) return `${read}all ${plural(r.good, 'row', 'rows')} can be imported. Nothing has been written yet.`;
  return `${read}${plural(r.good, 'row', 'rows')} can be imported, ${plural(r.refused, 'row', 'rows')} would be refused. Nothing has been written yet.`;
}

function importSummary(r) {
  if (!r.committed) return `${plural(r.refused, 'row was', 'rows were')} refused, so nothing was imported.`;
  const what = `${plural(r.clients, 'client', 'clients')} and ${plural(r.policies, 'policy', 'policies')} imported`;
  return r.refused ? `${what}; ${plural(r.refused, 'row', 'rows')} refused and left out.` : `${what}.`;
}

export async function importView(main) {
  document.title = 'Import clients · psyclaim';
  const file = h('input', { id: 'import-file', name: 'file', type: 'file', accept: '.csv,text/csv,text/plain', required: true });
  const message = h('p', { class: 'error', role: 'alert', id: 'import-error' });
  const check = h('button', { type: 'submit', class: 'primary' }, 'Check the file');
  const out = h('div', { id: 'import-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'lookup import-form', 'aria-describedby': 'import-error' },
    h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'Clients CSV file'), file,
      h('p', { class: 'hint' }, 'UTF-8 CSV with a header row: first_name, last_name, birth_date (YYYY-MM-DD), sex (F, M or U), and optionally address, phone, email, diagnoses and the insurance columns payer_id, member_id, policy_start, copay.')),
    check);

  /** Sends the chosen file with flags; the report comes back on 200 and on a 422 of refused rows. */
  async function send(query, btn) {
    message.textContent = '';
    const f = file.files[0];
    if (!f) {
      message.textContent = 'Choose a CSV file first.';
      file.focus();
      return null;
    }
    btn.disabled = true;
    try {
      return await upload(`/api/import/clients${query}`, f, 'text/csv');
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      if (e.code === 'rows_refused' && e.body.problems) return e.body;
      replace(out);
      message.textContent = e.message;
      return null;
    } finally {
      btn.disabled = false;
    }
  }

  async function dryRun() {
    replace(out, h('p', { class: 'loading', role: 'status' }, 'Checking…'));
    const r = await send('?dry_run=1', check);
    if (!r) return;
    const all = h('button', { type: 'button', class: 'primary', id: 'import-all' }, `Import all ${plural(r.rows, 'row', 'rows')}`);
    const good = h('button', { type: 'button', id: 'import-good' }, `Import the ${plural(r.good, 'good row', 'good rows')} only`);
    all.disabled = r.refused > 0 || r.good === 0;
    good.hidden = r.refused === 0 || r.good === 0;
    all.addEventListener('click', () => doImport('', all).catch(fail));
    good.addEventListener('click', () => doImport('?skip_bad=1', good).catch(fail));
    replace(out,
      h('p', { class: 'import-summary', id: 'import-summary' }, dryRunSummary(r)),
      problemsTable(r, `${plural(r.refused, 'refused row', 'refused rows')}: every problem, by row (the header is row 1) and column`),
      r.good ? h('div', { class: 'actions' }, all, good) : null,
      r.refused && !r.good ? h('p', {}, 'Correct the file and check it again.') : null);
  }

  async function doImport(query, btn) {
    const r = await send(query, btn);
    if (!r) return;
    replace(out,
      h('p', { class: r.committed ? 'import-summary done' : 'import-summary', id: 'import-result', role: 'status' }, importSummary(r)),
      problemsTable(r, 'Rows refused'),
      r.committed ? h('p', {}, h('a', { href: '#/clients' }, 'See the clients')) : null);
  }

  const fail = (e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    dryRun().catch(fail);
  });
  file.addEventListener('change', () => {
    replace(out);
    if (file.files.length) form.requestSubmit();
  });
  replace(main,
    h('h1', {}, 'Import clients'),
    h('p', { class: 'intro' }, 'Bring a practice\'s clients over from another system: each row of the file is a client with their diagnoses and, optionally, one insurance policy. The file is checked first and nothing is written until you import it. Every refused row is listed with each problem and the column it is in.'),
    form, message, out);
}
