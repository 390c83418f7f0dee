// ledger.js -- the client's side of the money: the ledger section of a client's page (entries, balance,
// statement, the form that records a payment, refund or write-off, reversals, the client's self-pay
// fee), Billing > Balances (#/balances: every client with a balance, month close, the practice's
// adjustment reasons, whether clinicians see balances) and the A/R
// aging report (#/aging: buckets by payer and by patient, a stacked-bar plot, the total outstanding).

import { h, replace } from './dom.js';
import { request, download, saveFile } from './api.js';
import { practiceToday } from './clock.js';

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (cents) => dollars.format(cents / 100);
const KINDS = { copay: 'Copay due', fee: 'Session fee', payer_share: 'Insurance says you owe', payment: 'Payment', refund: 'Refund', adjustment: 'Adjustment', reversal: 'Reversal' };

function table(caption, heads, rows, empty) {
  if (!rows.length) return h('p', { class: 'notice' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

function field(label, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

function what(e) {
  const parts = [];
  if (e.service_date) parts.push(`service ${e.service_date}`);
  if (e.code) parts.push(e.code);
  if (e.method) parts.push(e.method + (e.reference ? ` ${e.reference}` : ''));
  if (e.reason) parts.push((e.reason_code && e.kind === 'payer_share' ? `CARC ${e.reason_code}: ` : '') + e.reason);
  return parts.join(' · ');
}

// The form recording money for the client. Each form carries its own idempotency key, so a form
// submitted twice (a double click, a retried request) records once.
function recordForm(clientId, ledger, redraw) {
  const key = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);
  let idem = key();
  const kind = h('select', { id: 'ledger-kind' },
    h('option', { value: 'payment' }, 'Payment received'), h('option', { value: 'refund' }, 'Refund given'),
    h('option', { value: 'adjustment' }, 'Write-off or adjustment'));
  const amount = h('input', { id: 'ledger-amount', inputmode: 'decimal', required: true, placeholder: '25.00', autocomplete: 'off' });
  const method = h('select', { id: 'ledger-method' }, ['cash', 'check', 'card', 'other'].map((m) => h('option', { value: m }, m)));
  const ref = h('input', { id: 'ledger-ref', placeholder: 'check number', maxlength: 64 });
  const reason = h('select', { id: 'ledger-reason' }, ledger.reasons.map((r) => h('option', { value: r.code }, r.words)));
  const claim = h('input', { id: 'ledger-claim', inputmode: 'numeric', placeholder: 'optional', pattern: '[0-9]*' });
  const date = h('input', { id: 'ledger-date', type: 'date', value: practiceToday() });
  const payFields = [field('Method', method), field('Reference', ref)];
  const reasonField = field('Reason', reason);
  const msg = h('p', { class: 'error', role: 'alert' });
  const sync = () => {
    const adj = kind.value === 'adjustment';
    for (const f of payFields) f.hidden = adj;
    reasonField.hidden = !adj;
  };
  kind.addEventListener('change', sync);
  const form = h('form', { class: 'card', id: 'ledger-form' },
    h('h3', {}, 'Record money'),
    h('div', { class: 'row' }, field('What', kind), field('Amount ($)', amount)),
    h('div', { class: 'row' }, payFields, reasonField),
    h('div', { class: 'row' }, field('For claim # (else oldest first)', claim), field('Date', date)),
    msg, h('button', { type: 'submit', class: 'primary' }, 'Record'));
  sync();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    const body = { kind: kind.value, amount: amount.value, date: date.value, idempotency_key: idem };
    if (kind.value === 'adjustment') body.reason = reason.value;
    else Object.assign(body, { method: method.value, reference: ref.value });
    if (claim.value) body.claim_id = Number(claim.value);
    try {
      const out = await request('POST', `/api/clients/${clientId}/ledger`, body);
      idem = key();
      redraw(out);
    } catch (e) {
      msg.textContent = e.message;
    }
  });
  return form;
}

// The client's self-pay or sliding-scale fee per session: what a signed session puts on the ledger
// when no insurance is in force on its date.
function feeForm(clientId, ledger) {
  const amount = h('input', { id: 'ledger-fee', inputmode: 'decimal', placeholder: 'none', autocomplete: 'off',
    value: ledger.fee_cents ? (ledger.fee_cents / 100).toFixed(2) : '' });
  const msg = h('p', { role: 'status', id: 'ledger-fee-status' });
  const form = h('form', { class: 'card', id: 'fee-form' },
    h('h3', {}, 'Self-pay fee'),
    h('p', {}, 'Charged per signed session when no insurance is in force (self-pay or sliding scale); empty for none.'),
    h('div', { class: 'row' }, field('Fee per session ($)', amount), h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Save fee'))),
    msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const out = await request('PUT', `/api/clients/${clientId}/fee`, { amount: amount.value.trim() });
      ledger.fee_cents = out.fee_cents;
      msg.textContent = out.fee_cents ? `Fee saved: ${money(out.fee_cents)} per session.` : 'No self-pay fee.';
    } catch (e) {
      msg.textContent = e.message;
    }
  });
  return form;
}

/** The ledger section of a client's page; null when the user may not see the client's money. */
export async function ledgerSection(clientId, canWrite) {
  const ledger = await request('GET', `/api/clients/${encodeURIComponent(clientId)}/ledger`);
  if (ledger.hidden) return null; // the practice shows balances to billers and admins only
  const box = h('section', { id: 'ledger', 'aria-labelledby': 'ledger-title' });
  const draw = (l) => {
    const month = h('input', { id: 'statement-month', type: 'month', value: practiceToday().slice(0, 7) });
    const smsg = h('p', { class: 'error', role: 'alert' });
    const get = h('button', { type: 'button' }, 'Statement (PDF)');
    get.addEventListener('click', async () => {
      smsg.textContent = '';
      try {
        saveFile(await download('GET', `/api/clients/${clientId}/statement?month=${encodeURIComponent(month.value)}`));
      } catch (e) {
        smsg.textContent = e.message;
      }
    });
    const rows = l.entries.slice().reverse().map((e) => {
      let undo = null;
      if (canWrite && e.kind !== 'reversal' && !e.reversed_by) {
        undo = h('button', { type: 'button', class: 'small', title: `Reverse entry ${e.id}` }, 'Reverse');
        undo.addEventListener('click', async () => {
          const why = window.prompt('Why is this entry taken back?');
          if (!why) return;
          try {
            await request('POST', `/api/ledger/${e.id}/reverse`, { reason: why });
            draw(await request('GET', `/api/clients/${clientId}/ledger`));
          } catch (err) {
            smsg.textContent = err.message;
          }
        });
      }
      return h('tr', { class: e.reversed_by ? 'muted' : null },
        h('td', {}, e.date), h('th', { scope: 'row' }, KINDS[e.kind] || e.kind), h('td', {}, what(e) || '—'),
        h('td', { class: 'num' }, money(e.amount_cents)), h('td', {}, e.reversed_by ? `reversed by #${e.reversed_by}` : undo));
    });
    replace(box,
      h('h2', { id: 'ledger-title' }, 'Balance'),
      h('p', { class: 'balance' }, h('strong', { id: 'ledger-balance' }, money(l.balance_cents)),
        l.balance_cents < 0 ? ' credit on account' : l.balance_cents > 0 ? ' owed by the client' : ' — nothing owed'),
      h('div', { class: 'row' }, field('Statement month', month), h('div', { class: 'field' }, get)), smsg,
      canWrite ? recordForm(clientId, l, draw) : null,
      canWrite ? feeForm(clientId, l) : null,
      table('Ledger, newest first', ['Date', 'Entry', 'Details', 'Amount', ''], rows, 'No ledger entries yet.'));
  };
  draw(ledger);
  return box;
}

// The practice's reasons for adjustments and write-offs: change the words, take one out of use (it
// is never deleted: entries name it), or add one.
async function reasonsEditor() {
  const box = h('section', { class: 'card', id: 'reasons', 'aria-labelledby': 'reasons-title' });
  const msg = h('p', { role: 'status', id: 'reasons-status' });
  const save = async (body) => {
    msg.textContent = '';
    try {
      draw((await request('POST', '/api/ledger/reasons', body)).reasons);
      msg.textContent = `Reason ${body.code} saved.`;
    } catch (e) {
      msg.textContent = e.message;
    }
  };
  const draw = (reasons) => {
    const rows = reasons.map((r) => {
      const words = h('input', { id: `reason-words-${r.code}`, value: r.words, maxlength: 120, required: true });
      const active = h('input', { type: 'checkbox', checked: r.active, id: `reason-active-${r.code}` });
      const f = h('form', { class: 'row reason' },
        field(r.code, words),
        h('div', { class: 'field check' }, h('label', {}, active, 'In use')),
        h('div', { class: 'field' }, h('button', { type: 'submit', class: 'small', 'aria-label': `Save reason ${r.code}` }, 'Save')));
      f.addEventListener('submit', (ev) => {
        ev.preventDefault();
        save({ code: r.code, words: words.value, active: active.checked });
      });
      return f;
    });
    const code = h('input', { id: 'reason-new-code', maxlength: 32, required: true, placeholder: 'sliding-scale' });
    const words = h('input', { id: 'reason-new-words', maxlength: 120, required: true, placeholder: 'Sliding-scale discount' });
    const add = h('form', { class: 'row', id: 'reason-add' }, field('New code', code), field('In words', words),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Add reason')));
    add.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save({ code: code.value.trim(), words: words.value.trim(), active: true });
    });
    replace(box, h('h2', { id: 'reasons-title' }, 'Adjustment reasons'),
      h('p', {}, 'The reasons a write-off or adjustment can give on a client\'s ledger.'), ...rows, add, msg);
  };
  draw((await request('GET', '/api/ledger/reasons')).reasons);
  return box;
}

/** Billing > Balances: the clients who owe something or hold a credit. */
export async function balancesView(main, can) {
  document.title = 'Balances · psyclaim';
  const data = await request('GET', '/api/balances');
  const today = practiceToday();
  const days = (d) => (d ? Math.round((Date.parse(today) - Date.parse(d)) / 86400000) : 0);
  let setting = null;
  if (can.practice) {
    const box = h('input', { id: 'see-balances', type: 'checkbox', checked: data.clinicians_see_balances });
    box.addEventListener('change', async () => {
      try {
        await request('PUT', '/api/ledger/settings', { clinicians_see_balances: box.checked });
      } catch (e) {
        box.checked = !box.checked;
        window.alert(e.message);
      }
    });
    setting = h('div', { class: 'field check' }, h('label', {}, box, 'Clinicians see the balances of their own clients'));
  }
  let closer = null;
  if (can.write) {
    const d = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() - 1);
    const month = h('input', { id: 'close-month', type: 'month', value: d.toISOString().slice(0, 7), max: d.toISOString().slice(0, 7) });
    const msg = h('p', { role: 'status' });
    closer = h('form', { class: 'card', id: 'close-form' }, h('h2', {}, 'Close a month'),
      h('p', {}, 'A closed month takes no new entry: corrections are dated in an open month, so its statements and aging never change.'),
      field('Month', month), msg, h('button', { type: 'submit' }, 'Close month'));
    closer.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await request('POST', '/api/ledger/close', { month: month.value });
        msg.textContent = `${month.value} is closed.`;
      } catch (e) {
        msg.textContent = e.message;
      }
    });
  }
  replace(main, h('p', { class: 'eyebrow' }, 'Billing'), h('h1', {}, 'Balances'),
    h('p', {}, `Clients owe ${money(data.owed_cents)}; credits held ${money(-data.credit_cents)}. `,
      h('a', { href: '#/aging' }, 'A/R aging report')),
    table(`${data.clients.length} clients with a balance`, ['Client', 'Balance', 'Not yet paid', 'Oldest open', 'Days'],
      data.clients.map((c) => h('tr', { class: days(c.oldest) > 60 ? 'warn' : null },
        h('th', { scope: 'row' }, h('a', { href: `#/clients/${c.client_id}` }, c.name)),
        h('td', { class: 'num' }, money(c.balance_cents)), h('td', { class: 'num' }, money(c.open_cents)),
        h('td', {}, c.oldest || '—'), h('td', { class: 'num' }, c.oldest ? days(c.oldest) : '—'))),
      'No client owes anything.'),
    setting, closer, can.write ? await reasonsEditor() : null);
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return el;
}

// One bar per bucket, payers stacked under patients; scales to its container's width.
function agingPlot(a) {
  const W = 360, H = 200, pad = 34, bw = (W - pad) / a.buckets.length;
  const max = Math.max(1, ...a.buckets.map((_, i) => a.payer_cents[i] + a.patient_cents[i]));
  const y = (c) => ((H - 30) * c) / max;
  const bars = a.buckets.flatMap((name, i) => {
    const x = pad + i * bw + 6, py = y(a.payer_cents[i]), pt = y(a.patient_cents[i]);
    return [
      svg('rect', { x, y: H - 20 - py, width: bw - 12, height: py, class: 'bar-payer' }, svg('title', {}, `${name} days, payers: ${money(a.payer_cents[i])}`)),
      svg('rect', { x, y: H - 20 - py - pt, width: bw - 12, height: pt, class: 'bar-patient' }, svg('title', {}, `${name} days, patients: ${money(a.patient_cents[i])}`)),
      svg('text', { x: x + (bw - 12) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 10 }, name),
    ];
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Amounts outstanding by age, payers and patients stacked', class: 'aging-plot', width: '100%' },
    svg('line', { x1: pad, y1: H - 20, x2: W, y2: H - 20, stroke: 'currentColor' }),
    svg('text', { x: 0, y: 12, 'font-size': 10 }, money(max)), ...bars);
}

/** The A/R aging report. */
export async function agingView(main) {
  document.title = 'A/R aging · psyclaim';
  const asOf = h('input', { id: 'aging-as-of', type: 'date', value: practiceToday() });
  const out = h('div', { id: 'aging-out' });
  const show = async () => {
    const a = await request('GET', `/api/reports/aging?as_of=${encodeURIComponent(asOf.value)}`);
    replace(out,
      h('p', {}, 'Total outstanding ', h('strong', { id: 'aging-total' }, money(a.total_cents)),
        `: payers ${money(a.payer_total_cents)}, patients ${money(a.patient_total_cents)}`,
        a.credit_cents ? `; client credits not applied ${money(-a.credit_cents)}` : ''),
      agingPlot(a),
      h('p', { class: 'legend' }, h('span', { class: 'swatch bar-payer' }), ' payers ', h('span', { class: 'swatch bar-patient' }), ' patients'),
      table(`As of ${a.as_of}, by days since the date of service (patients: since the amount was put on them)`,
        ['Owed by', ...a.buckets.map((b) => `${b} days`), 'Total'],
        a.rows.map((r) => h('tr', { class: r.patient ? 'total' : null },
          h('th', { scope: 'row' }, r.who), r.buckets_cents.map((c) => h('td', { class: 'num' }, money(c))),
          h('td', { class: 'num' }, money(r.total_cents)))),
        'Nothing is outstanding.'));
  };
  asOf.addEventListener('change', () => show().catch((e) => replace(out, h('p', { class: 'error' }, e.message))));
  replace(main, h('p', { class: 'eyebrow' }, h('a', { href: '#/balances' }, 'Billing')), h('h1', {}, 'A/R aging'),
    field('As of', asOf), out);
  await show();
}
