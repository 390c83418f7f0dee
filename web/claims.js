// claims.js -- "Claims" (#/claims and #/claims/ID): the claims built from signed sessions, filtered by
// status, payer and month with their totals; building claims for a date range; an 837P file per payer
// (a download; the claims become submitted) and the batches exported so far, each downloadable again;
// a client's monthly superbill; the claims whose timely-filing limit runs out soon (an export past it
// asks for the reason it is sent late); and one claim's page: its
// lines with the coding engine's explanation and rule ids, the scrubber's findings, the payments posted
// to it, the acknowledgements (999, 277CA) with every error in words, each round it was sent in, its
// status history, its chain (the claim it replaces or follows, its replacement or void, the next
// payer's claim), the buttons that correct or void it, and its CMS-1500; a rejected claim is made ready
// again once corrected. Admins and billers act on claims; a clinician reads the
// claims of their own clients.

import { h, replace } from './dom.js';
import { request, download, saveFile, ApiError } from './api.js';
import { morePager } from './list.js';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const cents = (c) => (c === null || c === undefined ? '—' : money.format(c / 100));
const STATES = ['draft', 'ready', 'submitted', 'accepted', 'rejected', 'paid', 'denied', 'partially_paid', 'closed'];
const stateName = (s) => (s || '').replace('_', ' ');

function statusTag(s) {
  return h('span', { class: `claim-status st-${s}` }, stateName(s));
}

function field(id, label, input, hint) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

function errorText(e) {
  return e.field ? `${e.field}: ${e.message.startsWith(e.field) ? e.message.slice(e.field.length + 1).trim() : e.message}` : e.message;
}

/** Runs an action; an expired session goes to the app, anything else is shown in message. */
async function act(message, button, fn) {
  message.textContent = '';
  button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof ApiError) || e.status === 401) window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
    else message.textContent = errorText(e);
    return null;
  } finally {
    button.disabled = false;
  }
}

function buildForm(onBuilt) {
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const message = h('p', { class: 'error', role: 'alert' });
  const out = h('div', { class: 'build-out', id: 'build-out', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Build claims');
  const rescrub = h('button', { type: 'button', id: 'scrub-all' }, 'Scrub all again');
  const form = h('form', { class: 'card claims-build', id: 'build-form' },
    h('h2', {}, 'Build claims'),
    h('p', { class: 'hint' }, 'Codes every billable member of the signed sessions in the period and scrubs each claim; members already billed are left alone. Leave the dates empty for every session. After correcting records, scrub all again to release the drafts they held back.'),
    h('div', { class: 'row' }, field('build-from', 'From', from), field('build-to', 'To', to)),
    h('div', { class: 'row' }, button, rescrub), message, out);
  rescrub.addEventListener('click', async () => {
    const r = await act(message, rescrub, () => request('POST', '/api/claims/scrub', {}));
    if (!r) return;
    replace(out, h('p', { role: 'status', class: 'build-summary' },
      `${r.ready + r.draft} claims scrubbed: `, h('strong', {}, `${r.ready} ready`), `, ${r.draft} held in draft.`));
    onBuilt();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    if (from.value) body.from = from.value;
    if (to.value) body.to = to.value;
    const r = await act(message, button, () => request('POST', '/api/claims/build', body));
    if (!r) return;
    replace(out,
      h('p', { role: 'status', class: 'build-summary' },
        `${r.sessions} signed sessions, ${r.members} billable members: ${r.claims_new} new claims with ${r.lines} lines; `,
        h('strong', {}, `${r.ready} ready`), `, ${r.draft} held in draft.`,
        r.already_billed ? ` ${r.already_billed} already billed.` : '', r.uninsured ? ` ${r.uninsured} without insurance.` : '',
        r.not_coded ? ` ${r.not_coded} could not be coded.` : ''),
      r.problems.length ? h('details', { class: 'build-problems' },
        h('summary', {}, `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} holding claims back`),
        h('ul', { class: 'findings' }, r.problems.slice(0, 200).map((p) => h('li', { class: 'finding error' },
          h('a', { href: `#/claims/${p.claim_id}` }, p.claim), h('span', { class: 'rule' }, p.rule),
          h('span', { class: 'field-ref' }, p.field), h('span', { class: 'message' }, p.message))))) : null);
    onBuilt();
  });
  return form;
}

function exportBox(payers, onSent) {
  const message = h('p', { class: 'error', role: 'alert' });
  const list = payers.length ? h('ul', { class: 'export-list' }, payers.map((p) => {
    const button = h('button', { type: 'button', 'data-payer': p.code, disabled: p.ready ? null : true }, `Export 837P (${p.ready} ready)`);
    const reason = h('input', { type: 'text', maxlength: '290', placeholder: 'why the payer takes it late' });
    const late = h('button', { type: 'button', class: 'late-send' }, 'Send late with this reason');
    const lateBox = h('div', { class: 'late row', hidden: true }, reason, late);
    async function send(body, b) {
      const file = await act(message, b, () => download('POST', '/api/claims/export', body));
      if (!file) {
        lateBox.hidden = !/timely-filing limit/.test(message.textContent);
        return;
      }
      lateBox.hidden = true;
      saveFile(file);
      onSent(`${file.headers.get('X-Claims')} claims of ${p.name} written to ${file.filename}; they are now submitted.`);
    }
    button.addEventListener('click', () => send({ payer: p.code }, button));
    late.addEventListener('click', () => {
      if (!reason.value.trim()) {
        message.textContent = 'late_reason: say why the payer will take the claim after its limit';
        return;
      }
      send({ payer: p.code, late_reason: reason.value.trim() }, late);
    });
    return h('li', {}, h('span', { class: 'payer' }, p.name, ' ', h('span', { class: 'code' }, p.code)), button, lateBox);
  })) : h('p', { class: 'notice' }, 'No claims yet.');
  return h('section', { class: 'card claims-export' }, h('h2', {}, 'Send to payers'),
    h('p', { class: 'hint' }, 'One X12 837P file per payer with every ready claim; control numbers never repeat.'), list, message);
}

/** "2026-03-03T12:00:00Z" -> the date and time in the browser's (the practice's) time zone. */
const when = (utc) => (utc ? new Date(utc).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' }) : '');

/** One exported batch's row. */
const batchRow = (b) => h('tr', { 'data-batch': b.id },
  h('td', {}, `#${b.id}`), h('td', { class: 'code' }, b.payer_code), h('td', { class: 'num' }, String(b.claims)),
  h('td', {}, when(b.created_at)), h('td', { class: 'code' }, `ISA13 ${b.isa13} · GS06 ${b.gs06} · ST02 ${b.st02}`),
  h('td', {}, b.written ? 'written' : h('strong', {}, 'never written to a file')),
  h('td', {}, h('a', { href: `/api/claims/batches/${b.id}/download`, download: `batch-${b.id}.837`, class: 'batch-download' }, 'Download')));

/** The 837P batches exported, newest first, a page at a time (first: the first page's answer), each with
 *  a link that downloads its stored bytes again. */
function batchesBox(first, fetchMore) {
  let list = h('p', { class: 'notice' }, 'No batch exported yet.');
  if (first.items.length) {
    const body = h('tbody', {}, first.items.map(batchRow));
    list = h('div', {}, h('table', { class: 'batches' },
      h('thead', {}, h('tr', {}, ['Batch', 'Payer', 'Claims', 'Exported', 'Control numbers', 'File', ''].map((t) => h('th', { scope: 'col' }, t)))),
      body), morePager(first, body, fetchMore, batchRow, 'More batches'));
  }
  return h('section', { class: 'card claims-batches', id: 'claims-batches' }, h('h2', {}, 'Exported batches'),
    h('p', { class: 'hint' }, 'Every 837P file is kept as it was sent: download one again if a file was lost or never reached its folder.'), list);
}

function superbillForm() {
  // the client by name: type part of a name, pick from the list (the practice's clients, loaded once)
  const client = h('input', { id: 'superbill-client-name', list: 'superbill-clients', required: true, autocomplete: 'off', placeholder: 'Type a name' });
  const options = h('datalist', { id: 'superbill-clients' });
  const byLabel = new Map();
  const label = (c) => `${c.last_name}, ${c.first_name} (born ${c.birth_date})`;
  // the clients whose name holds what was typed, asked of the server as the name is typed
  let asked = null;
  async function load() {
    const typed = client.value.trim();
    if (byLabel.has(typed) || typed === asked) return byLabel;
    asked = typed;
    const data = await request('GET', `/api/clients?limit=20${typed ? `&q=${encodeURIComponent(typed.split(' (born')[0])}` : ''}`);
    for (const c of data.items) byLabel.set(label(c), c.id);
    // an answer to an earlier question (the empty one asked on focus) never replaces a later one's
    if (typed === asked) replace(options, data.items.map((c) => h('option', { value: label(c) })));
    return byLabel;
  }
  client.addEventListener('focus', () => { load().catch(() => {}); });
  client.addEventListener('input', () => { load().catch(() => {}); });
  const month = h('input', { type: 'month', required: true });
  const message = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Superbill PDF');
  const form = h('form', { class: 'card superbill-form' }, h('h2', {}, 'Superbill'),
    h('p', { class: 'hint' }, 'An itemised statement of one client\'s month for an out-of-network claim.'),
    h('div', { class: 'row' }, field('superbill-client', 'Client', client), options, field('superbill-month', 'Month', month, 'YYYY-MM')),
    button, message);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    let id;
    try {
      id = (await load()).get(client.value.trim());
    } catch (e) {
      message.textContent = e.message;
      return;
    }
    if (!id) {
      message.textContent = 'Choose a client from the list (type part of the name).';
      client.focus();
      return;
    }
    const q = `client=${encodeURIComponent(id)}&month=${encodeURIComponent(month.value.trim())}`;
    const file = await act(message, button, () => download('GET', `/api/superbill?${q}`));
    if (file) saveFile(file);
  });
  return form;
}

const UNSENT = ['draft', 'ready', 'rejected'];

/** The days the payer's timely-filing limit leaves a claim not yet sent ("—" when sent or no limit known). */
function daysLeft(c) {
  if (!UNSENT.includes(c.status) || c.timely_days_left === null || c.timely_days_left === undefined) return '—';
  const d = c.timely_days_left;
  return h('span', { class: d < 0 ? 'error' : d <= 30 ? 'warn-tag' : null }, d < 0 ? `${-d} past` : String(d));
}

/** The claims not yet sent whose payer's limit runs out within 30 days, or has run out. */
async function timelyBox() {
  const within = h('input', { type: 'number', min: '0', max: '3650', value: '30', inputmode: 'numeric' });
  const search = h('input', { type: 'search', placeholder: 'claim number or client', autocomplete: 'off' });
  const out = h('div', {});
  const form = h('form', { class: 'row timely-form' }, field('timely-within', 'Days left at most', within),
    field('timely-q', 'Search', search), h('button', { type: 'submit' }, 'List'));
  const item = (c) => h('li', {},
    h('a', { href: `#/claims/${c.id}`, class: 'code' }, c.number), ' ', h('span', { class: 'code' }, c.payer_code), ` ${c.service_date}, `,
    stateName(c.status), ': ', h('strong', { class: c.days_left < 0 ? 'error' : null },
      c.days_left < 0 ? `past the ${c.limit_days}-day limit (last day ${c.deadline})` : `${c.days_left} days left (last day ${c.deadline})`));
  let seq = 0; // the latest List wins over an earlier answer that comes back after it
  async function load() {
    const mine = ++seq;
    const q = search.value.trim();
    const base = `/api/claims/timely?within=${encodeURIComponent(within.value || '0')}&limit=${PAGE}${q ? `&q=${encodeURIComponent(q)}` : ''}`;
    const r = await request('GET', base);
    if (mine !== seq) return;
    if (!r.items.length) {
      replace(out, h('p', { class: 'notice ok' }, 'No unsent claim is that close to its payer\'s limit.'));
      return;
    }
    const list = h('ul', { class: 'timely' }, r.items.map(item));
    replace(out, list, morePager(r, list, (cursor) => request('GET', `${base}&cursor=${encodeURIComponent(cursor)}`), item, 'More claims'));
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  await load();
  return h('section', { class: 'card claims-timely', id: 'timely' }, h('h2', {}, 'Timely filing'),
    h('p', { class: 'hint' }, 'Claims not yet sent, by the days their payer\'s limit leaves from the date of service (the payer record\'s limit, else its profile\'s: Medicare one calendar year, moved past weekends and federal holidays).'), form, out);
}

const PAGE = 100;

function claimRow(c) {
  return h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/claims/${c.id}`, class: 'code' }, c.number)),
    h('td', {}, c.client.last_name ? `${c.client.last_name}, ${c.client.first_name}` : `#${c.client.id}`),
    h('td', {}, h('span', { class: 'code' }, c.payer_code)),
    h('td', {}, c.service_date),
    h('td', {}, statusTag(c.status)),
    h('td', { class: 'num' }, daysLeft(c)),
    h('td', { class: 'num' }, c.lines),
    h('td', { class: 'num' }, cents(c.total_cents)),
    h('td', { class: 'num' }, cents(c.paid_cents)),
    h('td', { class: 'num' }, c.errors ? h('span', { class: 'error' }, `${c.errors} error${c.errors === 1 ? '' : 's'}`) : (c.findings || '—')));
}

// The first page of claims as a table; more(cursor) fetches the next page, whose rows are added below
// with a "More claims" button while the server says there are more.
function claimsTable(data, more) {
  if (!data.items.length) return h('p', { class: 'notice' }, 'No claims match.');
  const t = data.totals;
  const body = h('tbody', {}, data.items.map(claimRow));
  const pager = morePager(data, body, more, claimRow, 'More claims');
  return h('div', {}, h('div', { class: 'table-wrap' }, h('table', { class: 'claims' },
    h('caption', {}, `${t.claims} claim${t.claims === 1 ? '' : 's'}: billed ${cents(t.total_cents)}, paid ${cents(t.paid_cents)}`),
    h('thead', {}, h('tr', {}, ['Claim', 'Client', 'Payer', 'Service date', 'Status', 'Days to file', 'Lines', 'Billed', 'Paid', 'Findings'].map((x, i) =>
      h('th', { scope: 'col', class: i >= 5 ? 'num' : null }, x)))),
    body,
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '7' }, 'Total'),
      h('td', { class: 'num' }, cents(t.total_cents)), h('td', { class: 'num' }, cents(t.paid_cents)), h('td', {}))))), pager);
}

/** #/claims : search, filters, totals, a page at a time, and (for billing roles) build, export and superbill. */
export async function claimsView(main, canWrite) {
  document.title = 'Claims · psyclaim';
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const search = h('input', { type: 'search', value: params.get('q') || '', placeholder: 'Claim number or client name', autocomplete: 'off' });
  const status = h('select', {}, h('option', { value: '' }, 'any status'), STATES.map((s) => h('option', { value: s }, stateName(s))));
  status.value = params.get('status') || '';
  const payer = h('select', {}, h('option', { value: '' }, 'any payer'));
  const month = h('input', { type: 'month', value: params.get('month') || '' });
  const filters = h('form', { class: 'claims-filter row', role: 'search' },
    field('claims-q', 'Search', search), field('claims-status', 'Status', status), field('claims-payer', 'Payer', payer),
    field('claims-month', 'Service month', month), h('button', { type: 'submit' }, 'Show'));
  const summary = h('div', { class: 'claims-summary' });
  const table = h('div', { id: 'claims-table' });
  const exportHolder = h('div', { class: 'tool' });
  const superbillHolder = h('div', { class: 'tool' }, superbillForm());
  const sent = h('p', { class: 'notice', role: 'status', hidden: true, id: 'export-result' });
  const batchesHolder = h('div', { class: 'tool' });
  const timelyHolder = h('div', { class: 'tool' });

  // a newer load (Show pressed while the first list is still on its way) wins: an older answer that
  // comes back later is dropped, so the table always shows the filters last asked for
  let seq = 0;
  async function load() {
    const mine = ++seq;
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('q', search.value.trim());
    if (status.value) q.set('status', status.value);
    if (payer.value || params.get('payer')) q.set('payer', payer.value || params.get('payer'));
    if (month.value) q.set('month', month.value);
    q.set('limit', String(PAGE));
    const data = await request('GET', `/api/claims?${q}&totals=1`);
    if (mine !== seq) return;
    const chosen = payer.value || params.get('payer') || '';
    params.delete('payer');
    replace(payer, h('option', { value: '' }, 'any payer'), data.payers.map((p) => h('option', { value: p.code }, `${p.name} (${p.code})`)));
    payer.value = chosen;
    replace(summary, h('ul', { class: 'badges' }, Object.entries(data.totals.by_status).map(([s, n]) => h('li', {}, `${stateName(s)}: ${n}`))));
    replace(table, claimsTable(data, (cursor) => request('GET', `/api/claims?${q}&cursor=${encodeURIComponent(cursor)}`)));
    if (canWrite) {
      replace(exportHolder, exportBox(data.payers, (text) => {
        sent.textContent = text;
        sent.hidden = false;
        load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
      }));
      const b = await request('GET', '/api/claims/batches');
      replace(batchesHolder, batchesBox(b, (cursor) => request('GET', `/api/claims/batches?cursor=${encodeURIComponent(cursor)}`)));
      replace(timelyHolder, await timelyBox());
    }
  }
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  replace(main, h('h1', {}, 'Claims'),
    h('p', { class: 'intro' }, canWrite
      ? 'Claims are built from signed sessions, one per client, payer and date of service. The scrubber holds a claim in draft while any finding is an error; ready claims go to the payer in an 837P file.'
      : 'The claims of your clients, as the billing office sees them.'),
    h('div', { class: 'claims-tools' },
      canWrite ? h('div', { class: 'tool' }, buildForm(() => load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }))))) : null,
      canWrite ? exportHolder : null, superbillHolder),
    sent, canWrite ? timelyHolder : null, filters, summary, table, canWrite ? batchesHolder : null);
  await load();
}

function findingList(findings) {
  if (!findings.length) return h('p', { class: 'notice ok' }, 'No findings: nothing holds this claim back.');
  return h('ul', { class: 'findings' }, findings.map((f) => h('li', { class: `finding ${f.severity}` },
    h('span', { class: 'severity' }, f.severity), h('span', { class: 'rule' }, f.rule), h('span', { class: 'field-ref' }, f.field),
    f.source ? h('span', { class: 'hint' }, `from ${f.source === '837p' ? 'the 837P rules' : f.source === '835' ? 'a remittance' : `the ${f.source}`}`) : null,
    h('span', { class: 'message' }, f.message))));
}

function linesTable(c) {
  return h('table', { class: 'coded-lines claim-lines' },
    h('caption', {}, 'Service lines, each with why it was coded this way'),
    h('thead', {}, h('tr', {}, ['Line', 'Code', 'Units', 'Diagnoses', 'Billed', 'Paid'].map((x, i) => h('th', { scope: 'col', class: i >= 4 ? 'num' : null }, x)))),
    c.lines.map((l) => h('tbody', {},
      h('tr', { class: 'line-main' },
        h('td', {}, l.line_number),
        h('th', { scope: 'row' }, h('a', { class: 'code', href: `#/codes/cpt/${encodeURIComponent(l.code)}` }, l.code),
          l.modifiers.map((m) => h('span', { class: 'mod' }, m))),
        h('td', {}, l.units),
        h('td', {}, l.dx_pointers.map((p) => (c.client && c.client.diagnoses[p - 1]) || `#${p}`).join(', ')),
        h('td', { class: 'num' }, cents(l.charge_cents)),
        h('td', { class: 'num' }, cents(l.paid_cents))),
      h('tr', { class: 'line-why' }, h('td', { colspan: '6' },
        h('p', { class: 'explanation' }, l.explanation || 'No explanation recorded.'),
        l.rules.length ? h('ul', { class: 'rule-ids', 'aria-label': 'rules applied' }, l.rules.map((r) => h('li', {}, r))) : null)))));
}

function paymentsList(c) {
  if (!c.payments.length) return h('p', { class: 'hint' }, 'No remittance has been posted to this claim.');
  return h('ul', { class: 'payments' }, c.payments.map((p) => h('li', {},
    h('p', {}, p.line_number ? `Line ${p.line_number}: ` : 'Claim: ', `billed ${cents(p.charge_cents)}, paid `, h('strong', {}, cents(p.paid_cents)),
      ` — check/EFT ${p.check_number || '—'}, posted ${p.posted_at}`, p.line_number ? null : ` (${p.claim_status_text || `status ${p.claim_status}`})`),
    p.adjustments.length ? h('ul', { class: 'adjustments' }, p.adjustments.map((a) => h('li', {},
      h('span', { class: 'carc', title: a.group_text || a.group }, `${a.group}-${a.reason}`), h('span', { class: 'amount' }, cents(a.amount_cents)),
      h('span', { class: 'why' }, h('span', { class: 'reason-text' }, a.reason_text || `Reason code ${a.reason}`))))) : null)));
}

/** What the clearinghouse and payer answered (999, 277CA, TA1), each error in words. */
function acknowledgementsList(c) {
  const acks = c.acknowledgements || [];
  if (!acks.length) return h('p', { class: 'hint' }, 'No acknowledgement has been posted for this claim.');
  return h('ul', { class: 'acks' }, acks.map((a) => h('li', { class: a.verdict === 'rejected' ? 'rejected' : null },
    h('p', {}, h('strong', {}, `${a.kind} ${a.verdict === 'other' ? 'status' : a.verdict}`), ` — received ${a.received_at}`,
      a.file ? ` (${a.file})` : '', a.payer_claim_number ? `, payer's claim number ${a.payer_claim_number}` : ''),
    a.errors.length ? h('ul', { class: 'ack-errors' }, a.errors.map((e) => h('li', {}, e.words || `${e.segment} ${e.code}: ${e.meaning}`))) : null)));
}

/** Each time the claim left in an 837P: the batch and its control numbers. */
function roundsList(c) {
  const b = c.batches || [];
  if (!b.length) return h('p', { class: 'hint' }, 'Not sent yet.');
  return h('ol', { class: 'rounds' }, b.map((x) => h('li', {},
    `Batch ${x.id}, sent ${x.created_at}: interchange `, h('span', { class: 'code' }, String(x.isa13).padStart(9, '0')),
    ', group ', h('span', { class: 'code' }, String(x.gs06)), ', transaction set ', h('span', { class: 'code' }, x.st02))));
}

/** The claims linked to this one, the first first: replacements and voids, and the next payers' claims. */
function chainList(c) {
  const kind = (x) => (x.replaces ? (x.frequency === 8 ? 'void' : 'replacement') : x.follows ? 'next payer' : 'original');
  return h('ol', { class: 'chain' }, c.chain.map((x) => h('li', {},
    x.id === c.id ? h('strong', { class: 'code' }, x.number) : h('a', { href: `#/claims/${x.id}`, class: 'code' }, x.number),
    ` ${kind(x)}, `, h('span', { class: 'code' }, x.payer_code), ' ', statusTag(x.status), ` paid ${cents(x.paid_cents)}`)));
}

/** #/claims/ID : one claim. */
export async function claimView(main, id, canWrite) {
  const c = await request('GET', `/api/claims/${id}`);
  document.title = `Claim ${c.number} · psyclaim`;
  const message = h('p', { class: 'error', role: 'alert' });
  const pdf = h('button', { type: 'button', id: 'cms1500' }, 'CMS-1500 PDF');
  pdf.addEventListener('click', async () => {
    const file = await act(message, pdf, () => download('GET', `/api/claims/${c.id}/cms1500`));
    if (file) saveFile(file);
  });
  let scrub = null;
  if (canWrite && (c.status === 'draft' || c.status === 'ready')) {
    scrub = h('button', { type: 'button', id: 'scrub' }, 'Scrub again');
    scrub.addEventListener('click', async () => {
      if (await act(message, scrub, () => request('POST', `/api/claims/${c.id}/scrub`))) await claimView(main, id, canWrite);
    });
  }
  let rebuild = null;
  if (canWrite && c.status === 'rejected') {
    rebuild = h('button', { type: 'button', id: 'rebuild' }, 'Corrected: make ready again');
    rebuild.addEventListener('click', async () => {
      if (await act(message, rebuild, () => request('POST', `/api/claims/${c.id}/rebuild`, {}))) await claimView(main, id, canWrite);
    });
  }
  const replaceable = ['accepted', 'paid', 'denied', 'partially_paid', 'closed'];
  const changes = [];
  if (canWrite && replaceable.includes(c.status) && c.frequency !== 8) {
    for (const [what, label, word] of [['correct', 'Correct (replacement claim)', 'replacement'], ['void', 'Void', 'void']]) {
      const b = h('button', { type: 'button', id: `claim-${what}` }, label);
      b.addEventListener('click', async () => {
        if (!window.confirm(`Write a ${word} of claim ${c.number}? It goes to ${c.payer_name} with the next export.`)) return;
        const made = await act(message, b, () => request('POST', `/api/claims/${c.id}/${what}`));
        if (made) location.hash = `#/claims/${made.id}`;
      });
      changes.push(b);
    }
  }
  const client = c.client ? `${c.client.last_name}, ${c.client.first_name}` : `#${c.client_id}`;
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/claims' }, 'Claims'), ' › ', c.number),
    h('h1', {}, 'Claim ', h('span', { class: 'code' }, c.number), ' ', statusTag(c.status)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Client'), h('dd', {}, h('a', { href: `#/clients/${c.client_id}` }, client)),
      h('dt', {}, 'Payer'), h('dd', {}, c.payer_name, ' ', h('span', { class: 'code' }, c.payer_code)),
      h('dt', {}, 'Date of service'), h('dd', {}, c.service_date),
      h('dt', {}, 'Place of service'), h('dd', {}, c.place_of_service || '—'),
      c.frequency !== 1 ? [h('dt', {}, 'Kind'), h('dd', {}, c.frequency === 7 ? 'replacement (frequency 7)' : 'void (frequency 8)',
        c.payer_claim_number ? ` of the payer's claim ${c.payer_claim_number}` : '')] : null,
      c.late_reason ? [h('dt', {}, 'Sent late'), h('dd', {}, c.late_reason)] : null,
      c.prior_auth ? [h('dt', {}, 'Prior authorisation'), h('dd', {}, c.prior_auth)] : null,
      h('dt', {}, 'Diagnoses'), h('dd', {}, c.client && c.client.diagnoses.length ? c.client.diagnoses.join(', ') : 'none on file'),
      h('dt', {}, 'Billed'), h('dd', {}, cents(c.total_cents)),
      h('dt', {}, 'Paid'), h('dd', {}, cents(c.paid_cents), c.patient_cents ? ` (patient owes ${cents(c.patient_cents)})` : '')),
    h('div', { class: 'actions' }, pdf, scrub, rebuild, changes), message,
    c.status === 'rejected' ? h('p', { class: 'notice' }, 'Rejected before adjudication: correct what the errors below name in the records (client, policy, payer, practice), then make the claim ready again; the next export sends it as a new original with new control numbers.') : null,
    h('section', { 'aria-labelledby': 'acks-h' }, h('h2', { id: 'acks-h' }, 'Acknowledgements'), acknowledgementsList(c)),
    c.chain && c.chain.length ? h('section', { 'aria-labelledby': 'chain-h' }, h('h2', { id: 'chain-h' }, 'Chain'), chainList(c)) : null,
    h('section', { 'aria-labelledby': 'lines-h' }, h('h2', { id: 'lines-h' }, 'Lines'), linesTable(c)),
    h('section', { class: 'findings-box', 'aria-labelledby': 'findings-h' }, h('h2', { id: 'findings-h' }, 'Scrubber findings'), findingList(c.findings)),
    h('section', { 'aria-labelledby': 'payments-h' }, h('h2', { id: 'payments-h' }, 'Payments'), paymentsList(c)),
    h('section', { 'aria-labelledby': 'rounds-h' }, h('h2', { id: 'rounds-h' }, 'Sent'), roundsList(c)),
    h('section', { 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, 'History'),
      c.history.length ? h('ol', { class: 'history' }, c.history.map((x) => h('li', {},
        h('time', {}, x.at), ' ', x.from ? stateName(x.from) : 'new', ' → ', h('strong', {}, stateName(x.to)), x.reason ? `: ${x.reason}` : ''))) : h('p', { class: 'hint' }, 'Built and not moved since.')));
}
