// era.js -- "Remittances" (#/remittances, admins and billers): read an 835 file from a payer and show
// what it says: each payment, the claims it pays with their lines, and every adjustment with its group
// and reason code in plain words (POST /api/era/read stores nothing). "Post" stores it against the
// claims (POST /api/era/post) and shows what happened: claims paid, adjusted and denied with the reasons
// in words, and items kept in suspense; the open suspense items are listed below.

import { h, replace } from './dom.js';
import { request, upload, ApiError } from './api.js';

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

const STATE_WORDS = { paid: 'paid in full', partially_paid: 'partly paid', denied: 'denied', accepted: 'accepted' };

/** What posting did: the counts, then each claim with the state it is in now and, when denied, why. */
function postingResult(r) {
  const p = r.posted;
  const earlier = p.earlier_file ? ` (file #${p.earlier_file.id}${p.earlier_file.name ? ' ' + p.earlier_file.name : ''}, ${p.earlier_file.posted_at})` : '';
  if (p.already_posted) return h('p', { class: 'notice', role: 'status', id: 'post-result' }, `This remittance was posted before${earlier}; nothing changed.`);
  const byNumber = new Map();
  for (const pay of r.remittance.payments) for (const c of pay.claims) byNumber.set(c.claim_id, c);
  const adjusted = (c) => [...c.adjustments, ...c.services.flatMap((s) => s.adjustments)];
  return h('section', { class: 'card post-result', id: 'post-result', 'aria-labelledby': 'post-h' },
    h('h2', { id: 'post-h' }, 'Posted'),
    h('ul', { class: 'badges', role: 'status' },
      h('li', { class: 'ok' }, `${p.claims} claim${p.claims === 1 ? '' : 's'} matched (${p.lines} lines)`),
      h('li', { class: 'ok' }, `${cents(p.paid_cents)} paid`),
      h('li', { class: p.denied ? 'warn' : null }, `${p.denied} denied`),
      h('li', { class: p.suspense ? 'warn' : null }, `${p.suspense} in suspense`),
      p.unbalanced ? h('li', { class: 'warn' }, `${p.unbalanced} not balanced`) : null,
      p.overpaid ? h('li', { class: 'warn' }, `${p.overpaid} paid above the charge`) : null,
      p.reversals ? h('li', {}, `${p.reversals} earlier payment${p.reversals === 1 ? '' : 's'} reversed`) : null,
      p.next_claims ? h('li', {}, `${p.next_claims} claim${p.next_claims === 1 ? '' : 's'} for the next payer`) : null,
      p.payments_seen_before ? h('li', {}, `${p.payments_seen_before} payment${p.payments_seen_before === 1 ? '' : 's'} posted before${earlier}, skipped`) : null),
    h('table', { class: 'posted-claims' },
      h('thead', {}, h('tr', {}, ['Claim', 'Now', 'Billed', 'Paid', 'Adjusted', 'Why'].map((t, i) => h('th', { scope: 'col', class: i >= 2 && i <= 4 ? 'num' : null }, t)))),
      h('tbody', {}, r.claims.map((c) => {
        const e = byNumber.get(c.number) || { adjustments: [], services: [] };
        const adjs = adjusted(e);
        return h('tr', { class: c.status === 'denied' ? 'denied' : null },
          h('th', { scope: 'row' }, c.id ? h('a', { href: `#/claims/${c.id}`, class: 'code' }, c.number) : h('span', { class: 'code' }, c.number)),
          h('td', {}, c.id ? (STATE_WORDS[c.status] || c.status) : 'in suspense: no such claim'),
          h('td', { class: 'num' }, cents(e.charge_cents)),
          h('td', { class: 'num' }, cents(e.paid_cents)),
          h('td', { class: 'num' }, cents(adjs.reduce((n, a) => n + a.amount_cents, 0))),
          h('td', {}, adjs.length ? adjs.map((a) => h('span', { class: 'why-item' }, `${a.group}-${a.reason}: ${a.reason_text || 'no description'}`)) : '—'));
      }))));
}

async function suspenseList(box) {
  const s = await request('GET', '/api/suspense');
  replace(box, h('h2', { id: 'suspense-h' }, 'Suspense'),
    s.items.length ? h('table', { class: 'suspense' },
      h('caption', {}, `${s.items.length} item${s.items.length === 1 ? '' : 's'} a remittance reported that matched no claim or line; ${cents(s.paid_cents)} in all`),
      h('thead', {}, h('tr', {}, ['Claim number', 'Line', 'Billed', 'Paid', 'Why', 'Posted'].map((t, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : null }, t)))),
      h('tbody', {}, s.items.map((x) => h('tr', {},
        h('th', { scope: 'row' }, h('span', { class: 'code' }, x.claim_number || '—')),
        h('td', {}, x.code ? `${x.code}${x.modifiers ? ` ${x.modifiers}` : ''}` : '—'),
        h('td', { class: 'num' }, cents(x.charge_cents)), h('td', { class: 'num' }, cents(x.paid_cents)),
        h('td', {}, x.why), h('td', {}, x.posted_at)))))
      : h('p', { class: 'hint' }, 'Nothing in suspense.'));
}

/** #/remittances : the upload form, what the file says, posting it, and the suspense list. */
export async function eraView(main, canPost) {
  document.title = 'Remittances · psyclaim';
  const file = h('input', { id: 'era-file', name: 'file', type: 'file', accept: '.835,.x12,.edi,.txt,.dat,text/plain', required: true });
  const message = h('p', { class: 'error', role: 'alert', id: 'era-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Read remittance');
  const post = canPost ? h('button', { type: 'button', id: 'era-post' }, 'Post') : null;
  const out = h('div', { class: 'era-out', id: 'era-out' });
  const posted = h('div', { id: 'era-posted', 'aria-live': 'polite' });
  const suspense = h('section', { class: 'suspense-box', id: 'suspense', 'aria-labelledby': 'suspense-h' });
  const form = h('form', { class: 'lookup era-form', 'aria-describedby': 'era-error' },
    h('div', { class: 'field' }, h('label', { for: 'era-file' }, '835 remittance file'), file,
      h('p', { class: 'hint' }, 'An X12 835 (005010X221A1) from a payer or clearinghouse, up to 1 MiB.')),
    button, post);
  /** Sends the chosen file to path with the button held down; onDone shows the answer, onFail clears. */
  async function send(path, btn, onDone, onFail) {
    message.textContent = '';
    const f = file.files[0];
    if (!f) {
      message.textContent = 'Choose an 835 file first.';
      file.focus();
      return;
    }
    btn.disabled = true;
    try {
      await onDone(await upload(path, f, 'application/edi-x12'));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      if (onFail) onFail();
      message.textContent = e.message;
    } finally {
      btn.disabled = false;
    }
  }
  const read = () => {
    if (file.files.length) replace(out, h('p', { class: 'loading', role: 'status' }, 'Reading…'));
    return send('/api/era/read', button, (doc) => replace(out, summary(doc), doc.payments.map(paymentSection)), () => replace(out));
  };
  const doPost = () => send('/api/era/post', post, async (r) => {
    replace(posted, postingResult(r));
    await suspenseList(suspense);
  });
  const fail = (e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    read().catch(fail);
  });
  if (post) post.addEventListener('click', () => doPost().catch(fail));
  file.addEventListener('change', () => {
    if (file.files.length) form.requestSubmit();
  });
  replace(main,
    h('h1', {}, 'Remittances'),
    h('p', { class: 'intro' }, 'Open an 835 remittance to see what a payer paid, for which claims, and why amounts were adjusted, with every reason code in plain words. Reading a file stores nothing; Post stores its payments against the claims (a file is posted once).'),
    form, message, posted, out, suspense);
  await suspenseList(suspense);
}
