// elig.js -- eligibility on the client's page: the payer's 271 answers kept with the client's policies
// (coverage on the date asked about, copay, coinsurance, deductible and visits left, prior
// authorisation, rejections in plain words), a 270 request to download for a date, and a 271 file to
// read in. The server decides who may see and do what; a clinician sees their own clients' answers.

import { h, replace } from './dom.js';
import { request, download, saveFile, upload } from './api.js';
import { practiceToday } from './clock.js';

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (c) => (c === null || c === undefined ? '—' : dollars.format(c / 100));
const pct = (bp) => (bp === null || bp === undefined ? '—' : `${(bp / 100).toFixed(bp % 100 ? 2 : 0)}%`);
// the month and day a plan year begins each year ("Apr 1")
const planDay = (iso) => new Date(`${iso}T00:00:00`).toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
const num = (v) => (v === null || v === undefined ? '—' : String(v));

function answerRow(e) {
  const a = e.answer || {};
  const s = a.summary || {};
  const why = (a.rejections || []).map((x) => `${x.reason} ${x.reason_text || ''}${x.action_text ? ` (${x.action_text})` : ''}`).join('; ');
  const auth = s.auth_required === true ? 'required' : s.auth_required === false ? 'not required' : '—';
  return h('tr', { class: e.status === 'active' ? null : 'warn' },
    h('th', { scope: 'row' }, e.as_of), h('td', {}, e.status, why ? h('span', { class: 'warn-tag' }, ` ${why}`) : null),
    h('td', { class: 'num' }, money(s.copay_in_cents)), h('td', { class: 'num' }, pct(s.coinsurance_in_bp)),
    h('td', { class: 'num' }, money(s.deductible_in_left_cents)), h('td', { class: 'num' }, money(s.oop_in_left_cents)),
    h('td', { class: 'num' }, `${num(s.visits_left)} of ${num(s.visits_allowed)}`,
      s.visits_year_begin ? h('span', { class: 'note' }, ` per plan year from ${planDay(s.visits_year_begin)}`) : null),
    h('td', {}, auth));
}

const HEADS = ['Date asked', 'Coverage', 'Copay', 'Coinsurance', 'Deductible left', 'Out of pocket left', 'Visits left', 'Prior auth'];

/** The table of answers rows ({as_of, status, answer}); payer = 1 adds the payer and member columns. */
function answersTable(rows, payer) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'elig-answers' },
    h('caption', {}, 'What the payer answered (in network, outpatient mental health)'),
    h('thead', {}, h('tr', {}, (payer ? ['Payer', 'Member', ...HEADS] : HEADS).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((e) => {
      const tr = answerRow(e);
      if (payer) tr.prepend(h('td', {}, e.answer.payer || '—'), h('td', {}, h('span', { class: 'code' }, e.answer.member_id || '—')));
      return tr;
    }))));
}

/** A 271 as read (psyclaim eligibility read --json: {answers: [...]}) in words, for Incoming files. */
export function eligibilityView(doc) {
  const answers = doc.answers || [];
  const rejected = answers.filter((a) => (a.rejections || []).length).length;
  return h('div', { class: 'elig-doc' },
    h('p', { class: 'era-summary', role: 'status' },
      `271: ${answers.length} eligibility answer${answers.length === 1 ? '' : 's'}${rejected ? `, ${rejected} rejected` : ''}.`),
    answers.length ? answersTable(answers.map((a) => ({ as_of: a.as_of || '—', status: (a.summary || {}).status || '—', answer: a })), 1) : null);
}

/** What keeping a 271's answers did ({answers, stored, seen_before, unmatched}). */
export function eligibilityPosted(p) {
  return `${p.answers} answer${p.answers === 1 ? '' : 's'}: ${p.stored} kept with their policy, ${p.seen_before} kept before, ${p.unmatched} matched no policy`;
}

/** The eligibility section of client c's page; can.insurance shows the request and read-in controls. */
export function eligibilitySection(c, can) {
  const box = h('section', { class: 'eligibility', 'aria-labelledby': 'elig-h' }, h('h2', { id: 'elig-h' }, 'Eligibility'));
  const list = h('div', {}, h('p', { class: 'notice' }, 'Loading…'));
  const msg = h('p', { class: 'error', role: 'alert' });
  async function load() {
    try {
      const rows = await request('GET', `/api/clients/${c.id}/eligibility`);
      replace(list, rows.length
        ? answersTable(rows, 0)
        : h('p', { class: 'notice' }, 'No eligibility answer on record.'));
    } catch (e) {
      replace(list, h('p', { class: 'notice' }, e.message));
    }
  }
  box.append(list);
  if (can.insurance && c.policies.length) {
    const date = h('input', { id: 'elig-date', type: 'date', value: practiceToday(), required: true });
    const policy = h('select', { id: 'elig-policy' },
      c.policies.map((p) => h('option', { value: p.id }, `${p.priority}: ${p.payer} ${p.member_id}`)));
    const ask = h('form', { class: 'row elig-request' },
      h('div', { class: 'field' }, h('label', { for: date.id }, 'Date of service'), date),
      h('div', { class: 'field' }, h('label', { for: policy.id }, 'Policy'), policy),
      h('button', { type: 'submit' }, 'Download a 270 request'));
    ask.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      msg.textContent = '';
      try {
        saveFile(await download('POST', `/api/clients/${c.id}/eligibility/request`, { date: date.value, policy: Number(policy.value) }));
      } catch (e) {
        msg.textContent = e.message;
      }
    });
    const file = h('input', { id: 'elig-file', type: 'file', accept: '.271,.x12,.edi,.txt,text/plain' });
    file.addEventListener('change', async () => {
      msg.textContent = '';
      if (!file.files.length) return;
      try {
        const r = await upload('/api/eligibility/post', file.files[0], 'application/edi-x12');
        msg.textContent = eligibilityPosted(r);
        file.value = '';
        await load();
      } catch (e) {
        msg.textContent = e.message;
      }
    });
    box.append(ask, h('div', { class: 'field' }, h('label', { for: file.id }, 'Read a 271 answer'), file));
  }
  box.append(msg);
  load();
  return box;
}
