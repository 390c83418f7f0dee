// coding.js -- "Code a session" (#/coding): a form describing one session (kind, minutes, date, E/M
// visit, interactive complexity, telehealth, the patient's location, group size, payer) and, updated
// as the form changes, the claim lines the coding engine answers (code, units, modifiers, place of
// service, charge, each with its explanation and rule ids) and its findings. No patient data.

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';
import { practiceToday } from './clock.js';

const KINDS = [
  ['individual', 'Individual psychotherapy'],
  ['crisis', 'Crisis psychotherapy'],
  ['family_with_patient', 'Family psychotherapy, patient present'],
  ['family_without_patient', 'Family psychotherapy, patient not present'],
  ['group', 'Group psychotherapy'],
  ['multiple_family_group', 'Multiple-family group'],
  ['diagnostic_evaluation', 'Diagnostic evaluation'],
  ['diagnostic_evaluation_medical', 'Diagnostic evaluation with medical services'],
];
const TIMED = new Set(['individual', 'crisis', 'family_with_patient', 'family_without_patient']);
const GROUPS = new Set(['group', 'multiple_family_group']);
const EM_CODES = ['99202', '99203', '99204', '99205', '99211', '99212', '99213', '99214', '99215'];
const DELAY_MS = 200; // typing pauses this long before the engine is asked

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

function field(id, label, input, hint) {
  return h('div', { class: 'field', id: `${id}-field` },
    h('label', { for: id }, label), input,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
}

function select(id, options, value) {
  return h('select', { id, name: id }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

/** Builds the form; returns its elements by session field name. */
function buildForm(payers) {
  const el = {
    kind: select('cs-kind', KINDS, 'individual'),
    minutes: h('input', { id: 'cs-minutes', name: 'minutes', type: 'number', min: '0', max: '1440', step: '1', inputmode: 'numeric', 'aria-describedby': 'cs-minutes-hint' }),
    date: h('input', { id: 'cs-date', name: 'date', type: 'date', value: practiceToday(), required: true }),
    em_code: h('input', { id: 'cs-em_code', name: 'em_code', list: 'cs-em-codes', maxlength: '5', autocomplete: 'off', spellcheck: 'false', placeholder: 'none', 'aria-describedby': 'cs-em_code-hint' }),
    interactive_complexity: h('input', { id: 'cs-interactive_complexity', name: 'interactive_complexity', type: 'checkbox' }),
    telehealth: select('cs-telehealth', [['', 'In person'], ['video', 'Video'], ['audio', 'Audio only']], ''),
    patient_location: select('cs-patient_location', [['home', 'At home'], ['other', 'Somewhere else (not home)']], 'home'),
    group_size: h('input', { id: 'cs-group_size', name: 'group_size', type: 'number', min: '1', max: '60', step: '1', inputmode: 'numeric' }),
    payer: select('cs-payer', payers.payers.map((p) => [p.id, p.name]), payers.default),
  };
  const form = h('form', { class: 'coding-form card', 'aria-label': 'The session', novalidate: true },
    field('cs-kind', 'Kind of session', el.kind),
    field('cs-minutes', 'Minutes', el.minutes, 'Psychotherapy minutes (crisis: all crisis minutes that day).'),
    field('cs-date', 'Date of service', el.date),
    field('cs-em_code', 'E/M visit in the same session', el.em_code, 'An E/M code such as 99213, or leave empty.'),
    h('datalist', { id: 'cs-em-codes' }, EM_CODES.map((c) => h('option', { value: c }))),
    h('div', { class: 'field check', id: 'cs-interactive_complexity-field' },
      h('label', { for: 'cs-interactive_complexity' }, el.interactive_complexity, ' Interactive complexity'),
      h('p', { class: 'field-error', id: 'cs-interactive_complexity-error', role: 'alert' })),
    field('cs-telehealth', 'Telehealth', el.telehealth),
    field('cs-patient_location', 'Where the patient was', el.patient_location),
    field('cs-group_size', 'Participants present', el.group_size, 'Everyone who attended the group session.'),
    field('cs-payer', 'Payer', el.payer));
  return { form, el };
}

/** The code-session JSON for the form's current values. */
function sessionOf(el) {
  const kind = el.kind.value;
  const s = { date: el.date.value, kind, payer: el.payer.value };
  if (TIMED.has(kind) && el.minutes.value !== '') s.minutes = Number(el.minutes.value);
  if (el.em_code.value.trim()) s.em_code = el.em_code.value.trim().toUpperCase();
  if (el.interactive_complexity.checked) s.interactive_complexity = true;
  if (el.telehealth.value) {
    s.telehealth = el.telehealth.value;
    s.patient_location = el.patient_location.value;
  }
  if (GROUPS.has(kind) && el.group_size.value !== '') {
    s.group_size = Number(el.group_size.value);
    // every member's line, so the total is the group's (the engine caps it at its own limit)
    if (s.group_size >= 1 && s.group_size <= 60 && !s.em_code) s.members = s.group_size;
  }
  return s;
}

/** Shows only the fields that apply to the kind of session and the telehealth choice. */
function showRelevant(el) {
  const kind = el.kind.value;
  document.getElementById('cs-minutes-field').hidden = !TIMED.has(kind);
  document.getElementById('cs-group_size-field').hidden = !GROUPS.has(kind);
  document.getElementById('cs-patient_location-field').hidden = !el.telehealth.value;
}

function clearFieldErrors(el) {
  for (const name of Object.keys(el)) {
    el[name].removeAttribute('aria-invalid');
    const msg = document.getElementById(`cs-${name}-error`);
    if (msg) msg.textContent = '';
  }
}

/** Marks the input an error names ("minutes"; "lines[0]" names none) and shows the message under it. */
function markField(el, name, text) {
  const input = el[name];
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  const msg = document.getElementById(`cs-${name}-error`);
  if (msg && !msg.textContent) msg.textContent = text;
}

function rulesList(rules) {
  return h('ul', { class: 'rule-ids', 'aria-label': 'Rules' }, rules.map((r) => h('li', {}, r)));
}

function linesTable(lines) {
  const total = lines.reduce((t, l) => t + (l.charge_cents || 0), 0);
  return h('table', { class: 'coded-lines' },
    h('caption', {}, lines.length === 1 ? 'One claim line' : `${lines.length} claim lines`),
    h('thead', {}, h('tr', {}, ['Code', 'Units', 'Modifiers', 'Place of service', 'Charge'].map((t, i) =>
      h('th', { scope: 'col', class: i === 4 ? 'num' : null }, t)))),
    lines.map((l) => h('tbody', { class: 'coded-line' },
      h('tr', { class: 'line-main' },
        h('th', { scope: 'row' },
          h('a', { href: `#/codes/any/${encodeURIComponent(l.code)}`, class: 'code' }, l.code),
          l.member ? h('span', { class: 'sub' }, `member ${l.member} of ${lines.length}`) : null),
        h('td', {}, String(l.units)),
        h('td', {}, l.modifiers.length ? l.modifiers.map((m) => h('span', { class: 'mod' }, m)) : '—'),
        h('td', {}, h('span', { class: 'code' }, l.place_of_service)),
        h('td', { class: 'num' }, l.charge_cents ? money.format(l.charge_cents / 100) : '—')),
      h('tr', { class: 'line-why' },
        h('td', { colspan: '5' }, h('p', { class: 'explanation' }, l.explanation), rulesList(l.rules))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '4' }, 'Total charge'),
      h('td', { class: 'num' }, money.format(total / 100)))));
}

function findingsList(findings, el) {
  return h('ul', { class: 'findings' }, findings.map((f) => {
    const known = el[f.field] && !el[f.field].closest('[hidden]');
    const fieldRef = known
      ? h('a', { href: `#cs-${f.field}`, class: 'field-ref', 'data-field': f.field }, f.field)
      : (f.field ? h('span', { class: 'field-ref' }, f.field) : null);
    return h('li', { class: `finding ${f.severity}` },
      h('span', { class: 'severity' }, f.severity === 'error' ? 'Error' : 'Warning'),
      h('span', { class: 'rule' }, f.rule),
      fieldRef,
      h('span', { class: 'message' }, f.message));
  }));
}

/** #/coding : the form and its live result. */
export async function codingView(main) {
  document.title = 'Code a session · psyclaim';
  const payers = await request('GET', '/api/payers');
  const { form, el } = buildForm(payers);
  const status = h('p', { class: 'coding-status', id: 'coding-status' });
  const result = h('div', { class: 'coding-result', id: 'coding-result', 'aria-live': 'polite', 'aria-busy': 'false' });
  replace(main,
    h('h1', {}, 'Code a session'),
    h('p', { class: 'intro' }, 'Describe a session and psyclaim shows the claim lines to bill, each with the rules that chose it and why, and anything that stands in the way. The answer follows the form as you change it; nothing is saved.'),
    h('div', { class: 'coding' }, form, h('section', { class: 'coding-out', 'aria-labelledby': 'coding-out-h' },
      h('h2', { id: 'coding-out-h' }, 'Claim lines'), status, result)));

  let seq = 0;
  let timer = null;
  async function update() {
    if (!form.isConnected) return; // the reader has moved on to another page
    const mine = ++seq;
    showRelevant(el);
    if (TIMED.has(el.kind.value) && el.minutes.value === '') {
      // nothing typed yet is not an error: say what is needed
      clearFieldErrors(el);
      status.className = 'coding-status';
      status.textContent = 'Type the minutes to see the claim lines.';
      replace(result);
      return;
    }
    result.setAttribute('aria-busy', 'true');
    let answer;
    let error = null;
    try {
      answer = await request('POST', '/api/code-session', sessionOf(el));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      error = e;
    }
    if (mine !== seq || !form.isConnected) return; // a newer answer is on its way, or the page is gone
    result.setAttribute('aria-busy', 'false');
    clearFieldErrors(el);
    if (error) {
      status.className = 'coding-status invalid';
      status.textContent = error.status === 422 ? 'The description is not complete yet.' : 'The engine could not answer.';
      markField(el, error.field, error.message);
      replace(result, h('p', { class: 'error' }, error.message));
      return;
    }
    const errors = answer.findings.filter((f) => f.severity === 'error').length;
    status.className = `coding-status ${errors ? 'refused' : 'billable'}`;
    status.textContent = errors ? 'Cannot be billed as described.' : 'Billable as described.';
    for (const f of answer.findings) if (f.severity === 'error') markField(el, f.field, f.message);
    replace(result,
      answer.lines.length ? linesTable(answer.lines) : h('p', { class: 'intro' }, 'No claim lines.'),
      answer.findings.length ? h('section', { class: 'findings-box', 'aria-labelledby': 'findings-h' },
        h('h3', { id: 'findings-h' }, 'Findings'), findingsList(answer.findings, el)) : null);
    for (const a of result.querySelectorAll('a.field-ref')) {
      a.addEventListener('click', (ev) => {
        ev.preventDefault(); // the router owns the address
        el[a.dataset.field].focus();
      });
    }
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(() => update().catch(failed), DELAY_MS);
  }
  function failed(e) {
    // a lapsed session or a network failure: let the router's error handling show it
    window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
  }
  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    update().catch(failed);
  });
  await update();
}
