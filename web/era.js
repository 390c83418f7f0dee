// era.js -- "Incoming files" (#/remittances, admins and billers): read any file a payer or clearinghouse
// sends back (POST /api/incoming/read tells its kind and stores nothing). An 835 shows each payment, the
// claims it pays with their lines, and every adjustment with its group and reason code in plain words; a
// 999 or TA1 each group's and transaction set's verdict with every error in words; a 277CA each claim's
// statuses in words; a 271 each eligibility answer (coverage, copay, coinsurance, deductible, visits,
// rejections in words, as the client's page shows them). "Post" applies it (POST /api/incoming/post):
// an 835's claims paid, adjusted and denied; an acknowledgement's claims accepted or rejected with their
// errors; a 271's answers kept with the policies they answer. The suspense items are
// listed below; a biller applies one to a claim by hand or closes it with a reason.

import { h, replace } from './dom.js';
import { morePager } from './list.js';
import { request, upload, ApiError } from './api.js';
import { eligibilityView, eligibilityPosted } from './elig.js';

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
      p.next_held ? h('li', {}, `${p.next_held} next payer's claim${p.next_held === 1 ? '' : 's'} held in draft: the payment reversed`) : null,
      p.next_to_replace ? h('li', {}, `${p.next_to_replace} claim${p.next_to_replace === 1 ? '' : 's'} already sent to the next payer to replace (see the claim's history)`) : null,
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

/** A TA1, 999 or 277CA in words: verdicts, errors and statuses. */
function ackView(doc, kind) {
  const verdictClass = (a) => (/^[RMWX]$/.test(a) ? 'denied' : null);
  return h('div', { class: 'ack-doc' },
    h('p', { class: 'era-summary', role: 'status' }, `${kind}: `,
      kind === '277CA' || kind === '277'
        ? `${doc.statuses.filter((x) => x.verdict === 'accepted').length} accepted, ${doc.statuses.filter((x) => x.verdict === 'rejected').length} rejected, ${doc.statuses.length} statuses in all.`
        : `${doc.groups.length} group${doc.groups.length === 1 ? '' : 's'} answered${doc.ta1.length ? `, ${doc.ta1.length} interchange acknowledgement${doc.ta1.length === 1 ? '' : 's'}` : ''}.`),
    doc.ta1.map((t) => h('article', { class: `era-claim ${verdictClass(t.ack) || ''}` },
      h('h3', {}, 'Interchange ', h('span', { class: 'code' }, String(t.control).padStart(9, '0'))),
      h('p', {}, `${t.ack_text || t.ack}: ${t.note_text || `note ${t.note}`} (TA105 ${t.note})`))),
    doc.groups.map((g) => h('article', { class: `era-claim ${verdictClass(g.ack) || ''}` },
      h('h3', {}, 'Group ', h('span', { class: 'code' }, String(g.group_control)), ` (${g.functional_id})`),
      h('p', { class: 'status' }, `${g.ack_text || g.ack}: ${g.accepted} of ${g.included} transaction sets accepted`),
      g.errors.map((e) => h('p', {}, `${e.text || 'error'} (code ${e.code})`)),
      g.sets.map((t) => h('section', { class: 'ack-set' },
        h('h4', {}, `Transaction set ${t.set_id} `, h('span', { class: 'code' }, t.control), `: ${t.ack_text || t.ack}`),
        t.codes.map((e) => h('p', {}, `${e.text || 'error'} (code ${e.code})`)),
        t.errors.length ? h('ul', { class: 'ack-errors' }, t.errors.map((e) => h('li', {}, e.words))) : null)))),
    doc.statuses.filter((x) => ['PT', '22', '23'].includes(x.level)).map((x) => h('article', { class: `era-claim${x.verdict === 'rejected' ? ' denied' : ''}` },
      h('h3', {}, 'Claim ', h('span', { class: 'code' }, x.trace)),
      h('p', { class: 'status' }, x.verdict === 'other' ? 'Status' : x.verdict === 'accepted' ? 'Accepted' : 'Rejected',
        x.payer_claim_number ? h('span', { class: 'sub' }, `payer's number ${x.payer_claim_number}`) : null),
      h('ul', { class: 'ack-errors' }, x.statuses.map((t) => h('li', {},
        t.service ? `Line ${t.service}: ` : '', `${t.category_text || `category ${t.category}`}`,
        t.code ? ` — ${t.code_text || `status code ${t.code}`}` : '', t.entity_text ? ` (about the ${t.entity_text.toLowerCase()})` : '',
        h('span', { class: 'sub' }, ` ${t.category}${t.code ? ':' + t.code : ''}${t.entity ? ':' + t.entity : ''}`)))),
      x.message ? h('p', { class: 'hint' }, x.message) : null)));
}

/** What posting an acknowledgement did. */
function ackPostingResult(r) {
  const p = r.posted;
  if (p.already_posted) return h('p', { class: 'notice', role: 'status', id: 'post-result' }, `This ${r.kind} was posted before; nothing changed.`);
  return h('section', { class: 'card post-result', id: 'post-result', 'aria-labelledby': 'post-h' },
    h('h2', { id: 'post-h' }, 'Posted'),
    h('ul', { class: 'badges', role: 'status' },
      h('li', { class: 'ok' }, `${p.accepted} claim${p.accepted === 1 ? '' : 's'} accepted`),
      h('li', { class: p.rejected ? 'warn' : null }, `${p.rejected} rejected (${p.errors} errors recorded)`),
      h('li', {}, `${p.unchanged} unchanged`),
      p.other ? h('li', {}, `${p.other} other statuses recorded`) : null,
      h('li', { class: p.suspense ? 'warn' : null }, `${p.suspense} in suspense`)),
    p.rejected ? h('p', {}, 'The rejected claims (', h('a', { href: '#/claims' }, 'Claims'), ', status rejected) show their errors in words on their pages.') : null);
}

/** What posting a 271 did: the counts, a link to the client whose policy kept the last answer. */
function eligPostingResult(r) {
  return h('section', { class: 'card post-result', id: 'post-result', 'aria-labelledby': 'post-h' },
    h('h2', { id: 'post-h' }, 'Posted'),
    h('p', { role: 'status', class: r.posted.unmatched ? 'warn' : null }, eligibilityPosted(r.posted), '.'),
    r.posted.client ? h('p', {}, h('a', { href: `#/clients/${r.posted.client}` }, 'Open the client'), ' to see the answer with the policy.') : null);
}

/** A form of one input and one button in a table cell: an action on a suspense item. */
function itemAction(label, name, placeholder, run) {
  const input = h('input', { type: 'text', name, 'aria-label': label, placeholder, required: true });
  const button = h('button', { type: 'submit' }, label);
  const form = h('form', { class: 'item-action' }, input, button);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    button.disabled = true;
    run(input.value.trim()).catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }))).finally(() => {
      button.disabled = false;
    });
  });
  return form;
}

// The open suspense items a page at a time, searched by claim number or code on the server; a biller
// applies an item to a claim by hand or closes it with a reason.
async function suspenseList(box, canPost, q = '') {
  const base = `/api/suspense?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`;
  const s = await request('GET', base);
  const message = h('p', { class: 'error', role: 'alert', id: 'suspense-error' });
  const resolve = (x, verb, body) => async () => {
    message.textContent = '';
    try {
      await request('POST', `/api/suspense/${x.id}/${verb}`, body);
      await suspenseList(box, canPost, q);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      message.textContent = e.message;
    }
  };
  const row = (x) => h('tr', {},
    h('th', { scope: 'row' }, h('span', { class: 'code' }, x.claim_number || '—')),
    h('td', {}, x.source),
    h('td', {}, x.segment ? h('span', { class: 'code' }, x.segment) : x.code ? `${x.code}${x.modifiers ? ` ${x.modifiers}` : ''}` : '—'),
    h('td', { class: 'num' }, cents(x.paid_cents)),
    h('td', {}, x.why), h('td', {}, x.posted_at),
    canPost ? h('td', { class: 'resolve' },
      itemAction('Apply to claim', 'claim_number', 'claim number', (v) => resolve(x, 'apply', { claim_number: v })()),
      itemAction('Close', 'reason', 'reason', (v) => resolve(x, 'close', { reason: v })())) : null);
  const search = h('input', { id: 'suspense-q', type: 'search', value: q, placeholder: 'Claim number or code', autocomplete: 'off' });
  const form = h('form', { class: 'row', role: 'search' }, h('label', { for: 'suspense-q' }, 'Search '), search, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    suspenseList(box, canPost, search.value.trim()).catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  const body = h('tbody', {}, s.items.map(row));
  replace(box, h('h2', { id: 'suspense-h' }, 'Suspense'), message,
    s.total || q ? form : null,
    s.items.length ? [h('table', { class: 'suspense' },
      h('caption', {}, `${s.total} item${s.total === 1 ? '' : 's'} a posted file reported that matched no claim, line or batch; ${cents(s.paid_cents)} in all`),
      h('thead', {}, h('tr', {}, ['Claim number', 'From', 'Line or segment', 'Paid', 'Why', 'Posted', canPost ? 'Resolve' : null].filter((t) => t).map((t, i) => h('th', { scope: 'col', class: i === 3 ? 'num' : null }, t)))),
      body), morePager(s, body, (cursor) => request('GET', `${base}&cursor=${encodeURIComponent(cursor)}`), row, 'More items')]
      : h('p', { class: 'hint' }, q ? 'No open item matches.' : 'Nothing in suspense.'));
}

/** #/remittances : the upload form, what the file says, posting it, and the suspense list. */
/** One posted file's row. */
const fileRow = (f) => h('tr', { 'data-file': f.id },
  h('td', {}, `#${f.id}`), h('td', { class: 'code' }, f.kind), h('td', {}, f.name || '—'),
  h('td', { class: 'num' }, f.bytes.toLocaleString('en-US')), h('td', {}, f.posted_at));

/** The files posted so far (835 remittances and acknowledgements), newest first, a page at a time,
 *  narrowed by kind and searched by name on the server. */
async function filesList(holder) {
  const kind = h('select', { id: 'files-kind' }, h('option', { value: '' }, 'every kind'),
    ['835', '999', 'TA1', '277CA', '277'].map((k) => h('option', { value: k }, k)));
  const q = h('input', { id: 'files-q', type: 'search', placeholder: 'File name', autocomplete: 'off' });
  const results = h('div', {});
  const form = h('form', { class: 'files-filter row', role: 'search' },
    h('label', { for: 'files-kind' }, 'Kind ', kind), h('label', { for: 'files-q' }, 'Search ', q), h('button', { type: 'submit' }, 'Show'));
  const load = async () => {
    const p = new URLSearchParams({ limit: '25' });
    if (kind.value) p.set('kind', kind.value);
    if (q.value.trim()) p.set('q', q.value.trim());
    const path = `/api/era/files?${p}`;
    const data = await request('GET', path);
    if (!data.items.length) {
      replace(results, h('p', { class: 'notice' }, 'No file posted yet.'));
      return;
    }
    const body = h('tbody', {}, data.items.map(fileRow));
    replace(results, h('div', { class: 'table-wrap' }, h('table', { class: 'era-files' },
      h('thead', {}, h('tr', {}, ['File', 'Kind', 'Name', 'Bytes', 'Posted'].map((t) => h('th', { scope: 'col' }, t)))), body)),
    morePager(data, body, (cursor) => request('GET', `${path}&cursor=${encodeURIComponent(cursor)}`), fileRow, 'More files'));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  replace(holder, h('h2', { id: 'era-files-h' }, 'Files posted'), form, results);
  await load();
}

export async function eraView(main, canPost) {
  document.title = 'Incoming files · psyclaim';
  const file = h('input', { id: 'era-file', name: 'file', type: 'file', accept: '.835,.999,.277,.271,.x12,.edi,.txt,.dat,text/plain', required: true });
  const message = h('p', { class: 'error', role: 'alert', id: 'era-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Read file');
  const post = canPost ? h('button', { type: 'button', id: 'era-post' }, 'Post') : null;
  const out = h('div', { class: 'era-out', id: 'era-out' });
  const posted = h('div', { id: 'era-posted', 'aria-live': 'polite' });
  const suspense = h('section', { class: 'suspense-box', id: 'suspense', 'aria-labelledby': 'suspense-h' });
  const files = h('section', { class: 'era-files-box', id: 'era-files', 'aria-labelledby': 'era-files-h' });
  const form = h('form', { class: 'lookup era-form', 'aria-describedby': 'era-error' },
    h('div', { class: 'field' }, h('label', { for: 'era-file' }, 'Incoming file (835, 999, 277CA or 271)'), file,
      h('p', { class: 'hint' }, 'An X12 file from a payer or clearinghouse, up to 1 MiB: an 835 remittance, a 999 or TA1 acknowledgement of a batch sent, a 277CA claim acknowledgement, a 271 eligibility answer.')),
    button, post);
  /** Sends the chosen file to path with the button held down; onDone shows the answer, onFail clears. */
  async function send(path, btn, onDone, onFail) {
    message.textContent = '';
    const f = file.files[0];
    if (!f) {
      message.textContent = 'Choose a file first.';
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
    return send('/api/incoming/read', button, (r) => (r.kind === '835'
      ? replace(out, summary(r.document), r.document.payments.map(paymentSection))
      : r.kind === '271' ? replace(out, eligibilityView(r.document)) : replace(out, ackView(r.document, r.kind))), () => replace(out));
  };
  const doPost = () => send('/api/incoming/post', post, async (r) => {
    replace(posted, r.kind === '835' ? postingResult(r) : r.kind === '271' ? eligPostingResult(r) : ackPostingResult(r));
    await suspenseList(suspense, canPost);
    await filesList(files);
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
    h('h1', {}, 'Incoming files'),
    h('p', { class: 'intro' }, 'Open what a payer or clearinghouse sent back: an 835 remittance shows what was paid, for which claims, and why amounts were adjusted; a 999 or 277CA acknowledgement shows which claims were accepted or rejected, with every error in plain words; a 271 shows what the payer answered about a client\'s coverage. Reading a file stores nothing; Post applies it to the claims (a file is posted once).'),
    form, message, posted, out, suspense, files);
  await suspenseList(suspense, canPost);
  await filesList(files);
}
