// era.js -- "Remittances" (#/remittances, admins and billers): read an 835 file from a payer and show
// what it says: each payment, the claims it pays with their lines, and every adjustment with its group
// and reason code in plain words. The file goes to POST /api/era/read; nothing is stored or posted.

import { h, replace } from './dom.js';
import { upload, ApiError } from './api.js';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const METHODS = {
  ACH: 'Electronic funds transfer (ACH)',
  CHK: 'Check',
  BOP: 'Financial institution option',
  FWT: 'Federal Reserve wire transfer',
  NON: 'No payment (remittance only)',
};

function cents(c) {
  return c === null || c === undefined ? '—' : money.format(c / 100);
}

function day(d) {
  return d && d.length === 8 ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : (d || '—');
}

function adjustmentList(adjs) {
  if (!adjs.length) return null;
  return h('ul', { class: 'adjustments' }, adjs.map((a) => h('li', {},
    h('span', { class: 'carc', title: a.group_text || a.group }, `${a.group}-${a.reason}`),
    h('span', { class: 'amount' }, cents(a.amount_cents)),
    h('span', { class: 'why' },
      h('span', { class: 'reason-text' }, a.reason_text || `Reason code ${a.reason}`),
      a.group_text ? h('span', { class: 'group-text' }, a.group_text) : null))));
}

function servicesTable(services) {
  if (!services.length) return null;
  return h('table', { class: 'era-lines' },
    h('thead', {}, h('tr', {}, ['Line', 'Date', 'Units', 'Billed', 'Allowed', 'Paid'].map((t, i) =>
      h('th', { scope: 'col', class: i >= 3 ? 'num' : null }, t)))),
    services.map((s) => h('tbody', {},
      h('tr', {},
        h('th', { scope: 'row' }, h('span', { class: 'code' }, s.code),
          s.modifiers.map((m) => h('span', { class: 'mod' }, m)),
          s.submitted_code ? h('span', { class: 'sub' }, `billed as ${s.submitted_code}`) : null),
        h('td', {}, day(s.date)),
        h('td', {}, s.units),
        h('td', { class: 'num' }, cents(s.charge_cents)),
        h('td', { class: 'num' }, cents(s.allowed_cents)),
        h('td', { class: 'num' }, cents(s.paid_cents))),
      s.adjustments.length || s.remarks.length ? h('tr', { class: 'line-why' }, h('td', { colspan: '6' },
        adjustmentList(s.adjustments),
        s.remarks.length ? h('p', { class: 'remarks' }, 'Remark codes: ', s.remarks.join(', ')) : null)) : null)));
}

function claimCard(c) {
  const denied = c.paid_cents === 0 && c.charge_cents > 0;
  return h('article', { class: `era-claim${denied ? ' denied' : ''}` },
    h('header', {},
      h('h3', {}, 'Claim ', h('span', { class: 'code' }, c.claim_id)),
      h('p', { class: 'status' }, c.status_text || `Status ${c.status}`,
        c.payer_claim_number ? h('span', { class: 'sub' }, `payer's number ${c.payer_claim_number}`) : null)),
    h('dl', { class: 'era-amounts' },
      h('div', {}, h('dt', {}, 'Billed'), h('dd', {}, cents(c.charge_cents))),
      h('div', {}, h('dt', {}, 'Paid'), h('dd', { class: 'paid' }, cents(c.paid_cents))),
      h('div', {}, h('dt', {}, 'Patient owes'), h('dd', {}, cents(c.patient_responsibility_cents)))),
    c.adjustments.length ? h('div', { class: 'claim-adjustments' }, h('h4', {}, 'Claim adjustments'), adjustmentList(c.adjustments)) : null,
    servicesTable(c.services));
}

function paymentSection(p, i) {
  const claims = p.claims.length;
  return h('section', { class: 'era-payment', 'aria-labelledby': `pay-${i}` },
    h('header', { class: 'era-payment-head' },
      h('h2', { id: `pay-${i}` }, p.payer || 'Payer not named'),
      h('p', { class: 'era-paid' }, cents(p.paid_cents))),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Check or EFT number'), h('dd', {}, h('span', { class: 'code' }, p.check_number)),
      h('dt', {}, 'Method'), h('dd', {}, METHODS[p.method] || p.method || '—'),
      h('dt', {}, 'Payment date'), h('dd', {}, day(p.payment_date)),
      h('dt', {}, 'Paid to'), h('dd', {}, p.payee || '—', p.payee_id ? h('span', { class: 'sub' }, p.payee_id) : null),
      h('dt', {}, 'Claims'), h('dd', {}, String(claims))),
    p.claims.map(claimCard),
    p.provider_adjustments.length ? h('div', { class: 'provider-adjustments' },
      h('h3', {}, 'Provider adjustments'),
      h('p', { class: 'hint' }, 'A positive amount was taken from this payment; a negative one was added to it.'),
      h('ul', { class: 'adjustments' }, p.provider_adjustments.map((a) => h('li', {},
        h('span', { class: 'carc' }, a.reason),
        h('span', { class: 'amount' }, cents(a.amount_cents)),
        h('span', { class: 'why' }, h('span', { class: 'reason-text' }, a.reason_text || `Reason ${a.reason}`),
          a.reference ? h('span', { class: 'group-text' }, `reference ${a.reference}`) : null))))) : null);
}

function summary(doc) {
  const claims = doc.payments.reduce((n, p) => n + p.claims.length, 0);
  const paid = doc.payments.reduce((n, p) => n + p.paid_cents, 0);
  return h('p', { class: 'era-summary', role: 'status' },
    `${doc.payments.length} payment${doc.payments.length === 1 ? '' : 's'}, ${claims} claim${claims === 1 ? '' : 's'}, `,
    h('strong', {}, `${cents(paid)} paid`), '.');
}

/** #/remittances : the upload form and what the file says. */
export async function eraView(main) {
  document.title = 'Remittances · psyclaim';
  const file = h('input', { id: 'era-file', name: 'file', type: 'file', accept: '.835,.x12,.edi,.txt,.dat,text/plain', required: true });
  const message = h('p', { class: 'error', role: 'alert', id: 'era-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Read remittance');
  const out = h('div', { class: 'era-out', id: 'era-out' });
  const form = h('form', { class: 'lookup era-form', 'aria-describedby': 'era-error' },
    h('div', { class: 'field' }, h('label', { for: 'era-file' }, '835 remittance file'), file,
      h('p', { class: 'hint' }, 'An X12 835 (005010X221A1) from a payer or clearinghouse, up to 1 MiB.')),
    button);
  async function read() {
    message.textContent = '';
    const f = file.files[0];
    if (!f) {
      message.textContent = 'Choose an 835 file first.';
      file.focus();
      return;
    }
    button.disabled = true;
    replace(out, h('p', { class: 'loading', role: 'status' }, 'Reading…'));
    try {
      const doc = await upload('/api/era/read', f, 'application/edi-x12');
      replace(out, summary(doc), doc.payments.map(paymentSection));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      replace(out);
      message.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    read().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  file.addEventListener('change', () => {
    if (file.files.length) form.requestSubmit();
  });
  replace(main,
    h('h1', {}, 'Remittances'),
    h('p', { class: 'intro' }, 'Open an 835 remittance to see what a payer paid, for which claims, and why amounts were adjusted, with every reason code in plain words. Reading a file stores nothing and posts nothing.'),
    form, message, out);
}
