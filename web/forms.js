// forms.js -- forms for the practice's records: one form builder (labels, inputs, the server's error
// shown next to the field it names, a stale save shown as both versions side by side), the ICD-10-CM
// picker that searches as you type, and the pages that create and edit the practice settings,
// clinicians, payers, clients, policies, authorisations, treatment plans and groups.

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';
import { practiceToday } from './clock.js';

export const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const money = (cents) => (cents === null || cents === undefined ? '—' : dollars.format(cents / 100));
const count = new Intl.NumberFormat('en-US');

let uid = 0;

/**
 * One input. spec: {name, label, type: text|date|number|money|select|checkbox|textarea|lines|codes,
 * options: [[value, label]], hint, required, autocomplete, inputmode}.
 */
function control(spec, value) {
  const id = `f-${spec.name.replace(/[^a-z0-9_-]/gi, '-')}-${++uid}`;
  const common = { id, name: spec.name, 'aria-describedby': `${id}-err`, required: spec.required || null, autocomplete: spec.autocomplete || 'off' };
  let input;
  let get;
  let set;
  if (spec.type === 'select') {
    input = h('select', common, (spec.options || []).map(([v, l]) => h('option', { value: v }, l)));
    get = () => (spec.number ? (input.value ? Number(input.value) : null) : input.value);
    set = (v) => { input.value = v === null || v === undefined ? '' : String(v); };
  } else if (spec.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox' });
    get = () => input.checked;
    set = (v) => { input.checked = Boolean(v); };
  } else if (spec.type === 'textarea' || spec.type === 'lines') {
    input = h('textarea', { ...common, rows: spec.rows || 3 });
    get = () => (spec.type === 'lines' ? input.value.split('\n').map((s) => s.trim()).filter(Boolean) : input.value);
    set = (v) => { input.value = Array.isArray(v) ? v.join('\n') : v || ''; };
  } else if (spec.type === 'codes') {
    return codePicker(spec, value, id);
  } else {
    const type = spec.type === 'money' || spec.type === 'number' ? 'text' : spec.type || 'text';
    input = h('input', { ...common, type, inputmode: spec.type === 'money' ? 'decimal' : spec.type === 'number' ? 'numeric' : spec.inputmode || null });
    get = () => (spec.type === 'number' ? (input.value.trim() === '' ? 0 : /^-?\d+$/.test(input.value.trim()) ? Number(input.value.trim()) : input.value.trim()) : input.value);
    set = (v) => { input.value = v === null || v === undefined ? '' : String(v); };
  }
  set(value);
  const err = h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' });
  const label = h('label', { for: id }, spec.label, spec.type === 'money' ? ' ($)' : '');
  const el = spec.type === 'checkbox'
    ? h('div', { class: 'field check' }, input, label, spec.hint ? h('p', { class: 'hint' }, spec.hint) : null, err)
    : h('div', { class: 'field' }, label, input, spec.hint ? h('p', { class: 'hint' }, spec.hint) : null, err);
  return { el, input, err, get, set, spec };
}

/** ICD-10-CM diagnoses in pointer order: a search box that asks /api/search as you type, and chips. */
function codePicker(spec, value, id) {
  let codes = Array.isArray(value) ? value.slice() : [];
  const chips = h('ol', { class: 'chips', 'aria-label': `${spec.label} chosen` });
  const input = h('input', { id, type: 'search', autocomplete: 'off', 'aria-describedby': `${id}-err`, placeholder: 'Type a code or words, e.g. ptsd', role: 'combobox', 'aria-expanded': 'false', 'aria-controls': `${id}-list` });
  const list = h('ul', { class: 'picker', id: `${id}-list`, role: 'listbox' });
  const err = h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' });
  let timer = null;
  let ctrl = null;
  function draw() {
    replace(chips, codes.map((c, i) => {
      const rm = h('button', { type: 'button', class: 'link-button', 'aria-label': `remove ${c}` }, '×');
      rm.addEventListener('click', () => { codes.splice(i, 1); draw(); });
      return h('li', { class: 'chip' }, h('span', { class: 'code' }, c), ' ', rm);
    }));
  }
  function choose(code) {
    if (!codes.includes(code)) codes.push(code);
    input.value = '';
    replace(list);
    input.setAttribute('aria-expanded', 'false');
    draw();
    input.focus();
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { replace(list); return; }
    timer = setTimeout(async () => {
      if (ctrl) ctrl.abort();
      ctrl = new AbortController();
      try {
        const res = await request('GET', `/api/search?q=${encodeURIComponent(q)}&system=icd10cm&billable=true&limit=8`, undefined, ctrl.signal);
        replace(list, res.hits.map((hit) => {
          const b = h('button', { type: 'button', role: 'option', class: 'pick', 'data-code': hit.code }, h('span', { class: 'code' }, hit.code), ' ', hit.title);
          b.addEventListener('click', () => choose(hit.code));
          return h('li', {}, b);
        }));
        input.setAttribute('aria-expanded', res.hits.length ? 'true' : 'false');
      } catch (e) {
        if (e.name !== 'AbortError') err.textContent = e.message;
      }
    }, 120);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      const first = list.querySelector('button');
      if (first) choose(first.dataset.code);
    }
  });
  draw();
  const el = h('div', { class: 'field' }, h('label', { for: id }, spec.label), chips, input, list,
    spec.hint ? h('p', { class: 'hint' }, spec.hint) : null, err);
  return { el, input, err, get: () => codes.slice(), set: (v) => { codes = (v || []).slice(); draw(); }, spec };
}

function show(v) {
  if (Array.isArray(v)) return v.join(', ') || '—';
  if (v === true) return 'yes';
  if (v === false) return 'no';
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

/**
 * A form for one record. opts: {title, fields, values, submit: 'Save', send(body) -> Promise(record),
 * done(record), version: the version loaded (edits), extra: elements after the fields}.
 */
export function recordForm(opts) {
  const controls = opts.fields.map((f) => control(f, opts.values ? opts.values[f.name] : f.value));
  const message = h('p', { class: 'error', role: 'alert' });
  const conflict = h('div', { class: 'conflict', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, opts.submit || 'Save');
  let version = opts.values ? opts.values.version : undefined;
  const form = h('form', { class: 'card record-form', novalidate: true },
    opts.title ? h('h2', {}, opts.title) : null,
    h('div', { class: 'fields' }, controls.map((c) => c.el)), opts.extra || null, conflict, message, button);
  function body() {
    const b = {};
    for (const c of controls) b[c.spec.name] = c.get();
    if (version !== undefined) b.version = version;
    return b;
  }
  function clear() {
    message.textContent = '';
    for (const c of controls) { c.err.textContent = ''; c.input.removeAttribute('aria-invalid'); }
  }
  function fieldError(e) {
    const name = e.field || '';
    const base = name.replace(/\[\d+\].*$/, '');
    const c = controls.find((k) => k.spec.name === name) || controls.find((k) => k.spec.name === base);
    if (!c) return false;
    c.err.textContent = e.message;
    c.input.setAttribute('aria-invalid', 'true');
    c.input.focus();
    return true;
  }
  function showConflict(e) {
    const cur = e.body.current || {};
    const mine = body();
    const rows = controls.filter((c) => show(cur[c.spec.name]) !== show(mine[c.spec.name])).map((c) =>
      h('tr', {}, h('th', { scope: 'row' }, c.spec.label), h('td', {}, show(cur[c.spec.name])), h('td', {}, show(mine[c.spec.name]))));
    const keepMine = h('button', { type: 'button' }, 'Save mine over theirs');
    const takeTheirs = h('button', { type: 'button' }, 'Use their version');
    keepMine.addEventListener('click', () => { version = cur.version; conflict.hidden = true; form.requestSubmit(); });
    takeTheirs.addEventListener('click', () => {
      for (const c of controls) c.set(cur[c.spec.name]);
      version = cur.version;
      conflict.hidden = true;
    });
    replace(conflict,
      h('p', { class: 'error' }, e.message),
      h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'What differs'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, `Saved by someone else (version ${cur.version})`), h('th', { scope: 'col' }, 'Yours'))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 3 }, 'The fields are the same; the record changed elsewhere.'))))),
      h('div', { class: 'actions' }, takeTheirs, ' ', keepMine));
    conflict.hidden = false;
    conflict.scrollIntoView({ block: 'nearest' });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear();
    button.disabled = true;
    try {
      const rec = await opts.send(body());
      if (rec && rec.version) version = rec.version;
      await opts.done(rec);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.body.current) showConflict(e);
      else if (!(e instanceof ApiError) || !fieldError(e)) message.textContent = e.message;
      if (e instanceof ApiError && e.status === 401) window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// --- field lists --------------------------------------------------------------------------------

const STATES = 'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI'.split(' ');
const stateField = (name = 'state', label = 'State') => ({ name, label, type: 'select', options: [['', '—'], ...STATES.map((s) => [s, s])] });

export const practiceFields = [
  { name: 'name', label: 'Legal name', required: true, autocomplete: 'organization' },
  { name: 'sole_proprietor', label: 'Sole proprietor (a clinician billing under their own NPI)', type: 'checkbox', hint: 'claims then name that person as the billing provider' },
  { name: 'first_name', label: 'Sole proprietor: first name', hint: 'as on their NPI (only for a sole proprietor)' },
  { name: 'last_name', label: 'Sole proprietor: last name', hint: 'as on their NPI (only for a sole proprietor)' },
  { name: 'npi', label: 'NPI the practice bills under', required: true, inputmode: 'numeric', hint: "10 digits: an organisation's (type 2), or a sole proprietor's own (type 1)" },
  { name: 'tax_id', label: 'Tax id (EIN)', required: true, hint: 'NN-NNNNNNN' },
  { name: 'address', label: 'Street address', required: true, autocomplete: 'street-address' },
  { name: 'city', label: 'City', required: true },
  stateField(),
  { name: 'zip', label: 'ZIP+4', required: true, hint: '12345-6789', inputmode: 'numeric' },
  { name: 'time_zone', label: 'Time zone', type: 'select', options: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu', 'America/Puerto_Rico', 'UTC'].map((z) => [z, z.replace('_', ' ')]) },
  { name: 'billing_contact', label: 'Billing contact', required: true, hint: 'the person payers call about claims' },
  { name: 'billing_phone', label: 'Billing phone', type: 'tel', autocomplete: 'tel' },
  { name: 'billing_email', label: 'Billing e-mail', type: 'email', autocomplete: 'email' },
];

const clinicianFields = (clinicians) => [
  { name: 'first_name', label: 'First name', required: true },
  { name: 'last_name', label: 'Last name', required: true },
  { name: 'credential', label: 'Credential', required: true, hint: 'LCSW, PhD, LPC, LMFT, PsyD, MD…' },
  { name: 'npi', label: 'NPI (type 1)', required: true, inputmode: 'numeric' },
  { name: 'taxonomy', label: 'Taxonomy code', required: true, hint: 'NUCC code, e.g. 1041C0700X (clinical social worker)' },
  { name: 'licence_number', label: 'Licence number' },
  stateField('licence_state', 'Licence state'),
  { name: 'supervisor_id', label: 'Supervisor', type: 'select', number: true, options: [['', 'none'], ...clinicians.map((c) => [c.id, `${c.first_name} ${c.last_name}, ${c.credential}`])] },
  { name: 'active', label: 'Active', type: 'checkbox', value: true },
];

const KINDS = [['commercial', 'Commercial'], ['medicare', 'Medicare'], ['medicaid', 'Medicaid'], ['other', 'Other']];
const payerFields = (profiles) => [
  { name: 'name', label: 'Name', required: true },
  { name: 'payer_code', label: 'Electronic payer id', required: true, hint: 'as your clearinghouse lists it' },
  { name: 'kind', label: 'Kind', type: 'select', options: KINDS },
  { name: 'profile', label: 'Billing profile', type: 'select', options: [['', 'by kind'], ...profiles.map((p) => [p.id, p.name])] },
  { name: 'address', label: 'Claims address' },
  { name: 'city', label: 'City' },
  stateField(),
  { name: 'zip', label: 'ZIP', inputmode: 'numeric' },
  { name: 'timely_filing_days', label: 'Timely filing (days)', type: 'number', hint: '0 = not known' },
  { name: 'group_max', label: 'Largest group paid', type: 'number', hint: '0 = the default (12)' },
  { name: 'requires_auth', label: 'Sessions need prior authorisation', type: 'checkbox' },
];

const clientFields = [
  { name: 'first_name', label: 'First name', required: true },
  { name: 'last_name', label: 'Last name', required: true },
  { name: 'birth_date', label: 'Birth date', type: 'date', required: true },
  { name: 'sex', label: 'Sex', type: 'select', options: [['F', 'female'], ['M', 'male'], ['U', 'unknown']] },
  { name: 'address', label: 'Street address' },
  { name: 'city', label: 'City' },
  stateField(),
  { name: 'zip', label: 'ZIP', inputmode: 'numeric' },
  { name: 'phone', label: 'Phone', type: 'tel' },
  { name: 'email', label: 'E-mail', type: 'email' },
  { name: 'emergency_name', label: 'Emergency contact' },
  { name: 'emergency_phone', label: 'Emergency contact phone', type: 'tel' },
  { name: 'emergency_relation', label: 'Relation to client', hint: 'e.g. mother, spouse' },
  { name: 'telehealth_consent_date', label: 'Telehealth consent on', type: 'date' },
  { name: 'diagnoses', label: 'Diagnoses (ICD-10-CM, in order)', type: 'codes', hint: 'search by code or words; the first is the primary diagnosis' },
];

const policyFields = (payers) => [
  { name: 'payer_id', label: 'Payer', type: 'select', number: true, required: true, options: [['', 'choose…'], ...payers.map((p) => [p.id, p.name])] },
  { name: 'priority', label: 'Order', type: 'select', number: true, options: [[1, 'primary'], [2, 'secondary'], [3, 'tertiary']] },
  { name: 'member_id', label: 'Member id', required: true },
  { name: 'group_number', label: 'Group number' },
  { name: 'relation', label: 'Subscriber is', type: 'select', options: [['self', 'the client'], ['spouse', 'spouse'], ['child', 'parent (client is the child)'], ['other', 'someone else']] },
  { name: 'subscriber_first', label: 'Subscriber first name' },
  { name: 'subscriber_last', label: 'Subscriber last name' },
  { name: 'subscriber_birth', label: 'Subscriber birth date', type: 'date' },
  { name: 'copay', label: 'Copay', type: 'money' },
  { name: 'start_date', label: 'From', type: 'date', required: true },
  { name: 'end_date', label: 'To', type: 'date', hint: 'empty while in force' },
];

const authFields = (payers) => [
  { name: 'payer_id', label: 'Payer', type: 'select', number: true, required: true, options: [['', 'choose…'], ...payers.map((p) => [p.id, p.name])] },
  { name: 'number', label: 'Authorisation number', required: true },
  { name: 'codes', label: 'Codes covered', type: 'lines', hint: 'one CPT or HCPCS code a line, e.g. 90837' },
  { name: 'unit_kind', label: 'Counted in', type: 'select', options: [['visit', 'visits'], ['unit', 'units']] },
  { name: 'units_approved', label: 'Approved', type: 'number', required: true },
  { name: 'units_prior', label: 'Used before psyclaim', type: 'number' },
  { name: 'start_date', label: 'From', type: 'date', required: true },
  { name: 'end_date', label: 'To', type: 'date', required: true },
];

const planFields = (clinicians) => [
  { name: 'clinician_id', label: 'Clinician', type: 'select', number: true, required: true, options: [['', 'choose…'], ...clinicians.map((c) => [c.id, `${c.first_name} ${c.last_name}, ${c.credential}`])] },
  { name: 'diagnoses', label: 'Diagnoses', type: 'codes' },
  { name: 'problems', label: 'Problems', type: 'lines', hint: 'one a line' },
  { name: 'goals', label: 'Goals', type: 'lines', hint: 'one a line', required: true },
  { name: 'objectives', label: 'Objectives', type: 'lines', hint: 'one a line, measurable' },
  { name: 'interventions', label: 'Interventions', type: 'lines', hint: 'one a line' },
  { name: 'modalities', label: 'Modalities', type: 'lines', hint: 'one a line: individual, group, family' },
  { name: 'frequency', label: 'Frequency', required: true, hint: 'e.g. weekly' },
  { name: 'session_minutes', label: 'Session length (minutes)', type: 'number' },
  { name: 'start_date', label: 'Starts', type: 'date', required: true },
  { name: 'review_date', label: 'Review by', type: 'date', required: true },
  { name: 'end_date', label: 'Ends', type: 'date' },
];

const groupFields = (clinicians) => [
  { name: 'name', label: 'Name', required: true },
  { name: 'clinician_id', label: 'Clinician', type: 'select', number: true, required: true, options: [['', 'choose…'], ...clinicians.map((c) => [c.id, `${c.first_name} ${c.last_name}, ${c.credential}`])] },
  { name: 'co_clinician_id', label: 'Co-therapist', type: 'select', number: true, options: [['', 'none'], ...clinicians.map((c) => [c.id, `${c.first_name} ${c.last_name}, ${c.credential}`])] },
  { name: 'modality', label: 'Kind', type: 'select', options: [['group', 'group psychotherapy'], ['multifamily', 'multiple-family group']] },
  { name: 'capacity', label: 'Capacity', type: 'number' },
  { name: 'schedule', label: 'Meets', hint: 'e.g. Tue 18:00' },
  { name: 'telehealth', label: 'Meets by video', type: 'checkbox' },
  { name: 'active', label: 'Active', type: 'checkbox', value: true },
];

// --- pages --------------------------------------------------------------------------------------

function page(main, title, back, ...content) {
  document.title = `${title} · psyclaim`;
  replace(main, back ? h('p', { class: 'eyebrow' }, h('a', { href: back[0] }, back[1])) : null, h('h1', {}, title), ...content);
}

function table(caption, heads, rows, empty) {
  if (!rows.length) return h('p', { class: 'notice' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)));
}

const go = (hash) => { location.hash = hash; };

/** #/practice: the practice's settings, its clinicians and payers. */
export async function practiceView(main, can) {
  const [p, cl, py] = await Promise.all([request('GET', '/api/practice'), request('GET', '/api/clinicians'), request('GET', '/api/payer-records')]);
  const settings = can.practice
    ? recordForm({ title: 'Settings', fields: practiceFields, values: p, send: (b) => request('PUT', '/api/practice', b), done: () => practiceView(main, can) })
    : h('dl', { class: 'facts' }, practiceFields.map((f) => [h('dt', {}, f.label), h('dd', {}, show(p[f.name]))]));
  page(main, p.name, null, settings,
    h('h2', {}, 'Clinicians'),
    can.practice ? h('p', {}, h('a', { href: '#/clinicians/new', class: 'button' }, 'Add a clinician')) : null,
    table(`${count.format(cl.clinicians.length)} clinicians`, ['Name', 'Credential', 'NPI', 'Active'],
      cl.clinicians.map((c) => h('tr', {}, h('th', { scope: 'row' }, can.practice ? h('a', { href: `#/clinicians/${c.id}` }, `${c.last_name}, ${c.first_name}`) : `${c.last_name}, ${c.first_name}`),
        h('td', {}, c.credential), h('td', {}, c.npi), h('td', {}, c.active ? 'yes' : 'no'))), 'No clinicians yet.'),
    h('h2', {}, 'Payers'),
    can.insurance ? h('p', {}, h('a', { href: '#/payers/new', class: 'button' }, 'Add a payer')) : null,
    table(`${count.format(py.payers.length)} payers`, ['Name', 'Payer id', 'Kind', 'Timely filing'],
      py.payers.map((x) => h('tr', {}, h('th', { scope: 'row' }, can.insurance ? h('a', { href: `#/payers/${x.id}` }, x.name) : x.name),
        h('td', {}, x.payer_code), h('td', {}, x.kind), h('td', { class: 'num' }, x.timely_filing_days ? `${count.format(x.timely_filing_days)} days` : '—'))), 'No payers yet.'));
}

export async function clinicianView(main, id) {
  const { clinicians } = await request('GET', '/api/clinicians');
  const c = id === 'new' ? null : clinicians.find((x) => String(x.id) === id);
  if (id !== 'new' && !c) throw new ApiError(404, { error: { message: 'no such clinician' } });
  page(main, c ? `${c.first_name} ${c.last_name}` : 'New clinician', ['#/practice', 'Practice'],
    recordForm({ fields: clinicianFields(clinicians.filter((x) => !c || x.id !== c.id)), values: c, submit: c ? 'Save' : 'Add clinician',
      send: (b) => (c ? request('PUT', `/api/clinicians/${c.id}`, b) : request('POST', '/api/clinicians', b)), done: () => go('#/practice') }));
}

export async function payerView(main, id) {
  const { payers, profiles } = await request('GET', '/api/payer-records');
  const p = id === 'new' ? null : payers.find((x) => String(x.id) === id);
  if (id !== 'new' && !p) throw new ApiError(404, { error: { message: 'no such payer' } });
  page(main, p ? p.name : 'New payer', ['#/practice', 'Practice'],
    recordForm({ fields: payerFields(profiles), values: p || { kind: 'commercial' }, submit: p ? 'Save' : 'Add payer',
      send: (b) => (p ? request('PUT', `/api/payer-records/${p.id}`, b) : request('POST', '/api/payer-records', b)), done: () => go('#/practice') }));
}

export async function clientEditView(main, id) {
  const c = id === 'new' ? null : await request('GET', `/api/clients/${encodeURIComponent(id)}`);
  const fields = c ? [...clientFields, { name: 'active', label: 'Active (untick when discharged)', type: 'checkbox' }, { name: 'discharge_date', label: 'Discharged on', type: 'date' }] : clientFields;
  page(main, c ? `${c.last_name}, ${c.first_name}` : 'New client', c ? [`#/clients/${c.id}`, 'Client'] : ['#/clients', 'Clients'],
    recordForm({ fields, values: c || { sex: 'U' }, submit: c ? 'Save' : 'Add client',
      send: (b) => (c ? request('PUT', `/api/clients/${c.id}`, b) : request('POST', '/api/clients', b)), done: (r) => go(`#/clients/${r.id}`) }));
}

async function clientName(clientId) {
  const c = await request('GET', `/api/clients/${encodeURIComponent(clientId)}`);
  return [`#/clients/${c.id}`, `${c.last_name}, ${c.first_name}`];
}

export async function policyView(main, clientId, id) {
  const p = id ? await request('GET', `/api/policies/${encodeURIComponent(id)}`) : null;
  const [{ payers }, back] = await Promise.all([request('GET', '/api/payer-records'), clientName(p ? p.client_id : clientId)]);
  page(main, p ? 'Insurance policy' : 'New insurance policy', back,
    recordForm({ fields: policyFields(payers), values: p || { priority: 1, relation: 'self' }, submit: p ? 'Save' : 'Add policy',
      send: (b) => (p ? request('PUT', `/api/policies/${p.id}`, b) : request('POST', `/api/clients/${clientId}/policies`, b)), done: () => go(back[0]) }));
}

export async function authView(main, clientId, id) {
  const a = id ? await request('GET', `/api/authorisations/${encodeURIComponent(id)}`) : null;
  const [{ payers }, back] = await Promise.all([request('GET', '/api/payer-records'), clientName(a ? a.client_id : clientId)]);
  page(main, a ? `Authorisation ${a.number}` : 'New prior authorisation', back,
    recordForm({ fields: authFields(payers), values: a || { unit_kind: 'visit' }, submit: a ? 'Save' : 'Add authorisation',
      send: (b) => (a ? request('PUT', `/api/authorisations/${a.id}`, b) : request('POST', `/api/clients/${clientId}/authorisations`, b)), done: () => go(back[0]) }));
}

export async function planView(main, clientId, id, me) {
  const p = id ? await request('GET', `/api/plans/${encodeURIComponent(id)}`) : null;
  const [{ clinicians }, back] = await Promise.all([request('GET', '/api/clinicians'), clientName(p ? p.client_id : clientId)]);
  const signed = p && p.clinician_signed_at;
  let signer = null;
  if (p) {
    const msg = h('p', { class: 'error', role: 'alert' });
    const buttons = [];
    if (!signed && me.clinician_id === p.clinician_id) {
      const b = h('button', { type: 'button', class: 'primary' }, 'Sign the plan');
      b.addEventListener('click', async () => {
        if (!window.confirm('Sign this plan? Its content is then frozen; a revision is a new plan.')) return;
        try { await request('POST', `/api/plans/${p.id}/sign`, { who: 'clinician' }); await planView(main, clientId, id, me); } catch (e) { msg.textContent = e.message; }
      });
      buttons.push(b);
    }
    if (!p.client_signed_at) {
      const b = h('button', { type: 'button' }, 'Record the client\u2019s signature');
      b.addEventListener('click', async () => {
        try { await request('POST', `/api/plans/${p.id}/sign`, { who: 'client' }); await planView(main, clientId, id, me); } catch (e) { msg.textContent = e.message; }
      });
      buttons.push(b);
    }
    signer = h('div', { class: 'card' }, h('h2', {}, 'Signatures'),
      h('dl', { class: 'facts' }, h('dt', {}, 'Clinician'), h('dd', {}, signed ? signed.slice(0, 10) : 'not signed'),
        h('dt', {}, 'Client'), h('dd', {}, p.client_signed_at ? p.client_signed_at.slice(0, 10) : 'not signed')), buttons, msg);
  }
  const values = p || { clinician_id: me.clinician_id, session_minutes: 53, modalities: ['individual'], frequency: 'weekly' };
  const form = signed
    ? h('dl', { class: 'facts' }, planFields(clinicians).map((f) => [h('dt', {}, f.label), h('dd', { class: 'wrap' }, show(f.type === 'select' ? (clinicians.find((c) => c.id === p[f.name]) || {}).last_name : p[f.name]))]))
    : recordForm({ fields: planFields(clinicians), values, submit: p ? 'Save' : 'Add plan',
      send: (b) => (p ? request('PUT', `/api/plans/${p.id}`, b) : request('POST', `/api/clients/${clientId}/plans`, b)),
      done: (r) => go(`#/plans/${r.id}`) });
  page(main, p ? `Treatment plan from ${p.start_date}` : 'New treatment plan', back, form, signer);
}

export async function groupEditView(main, id) {
  const g = id === 'new' ? null : await request('GET', `/api/groups/${encodeURIComponent(id)}`);
  const { clinicians } = await request('GET', '/api/clinicians');
  const roster = [];
  if (g) {
    const { items: clients } = await request('GET', `/api/clients?limit=500`);
    const on = new Set(g.roster.map((c) => c.id));
    roster.push(recordForm({ title: 'Add a member', submit: 'Add to roster',
      fields: [{ name: 'client_id', label: 'Client', type: 'select', number: true, options: [['', 'choose…'], ...clients.filter((c) => !on.has(c.id)).map((c) => [c.id, `${c.last_name}, ${c.first_name}`])] },
        { name: 'joined', label: 'Joined on', type: 'date', value: practiceToday() }],
      send: (b) => request('POST', `/api/groups/${g.id}/roster`, b), done: () => groupEditView(main, id) }));
    roster.push(table('Members today', ['Name', ''], g.roster.map((c) => {
      const b = h('button', { type: 'button', class: 'link-button' }, 'Leaves the group');
      b.addEventListener('click', async () => {
        await request('POST', `/api/groups/${g.id}/roster`, { client_id: c.id, left: practiceToday() });
        await groupEditView(main, id);
      });
      return h('tr', {}, h('th', { scope: 'row' }, `${c.last_name}, ${c.first_name}`), h('td', {}, b));
    }), 'Nobody is on the roster.'));
  }
  page(main, g ? g.name : 'New group', g ? [`#/groups/${g.id}`, 'Group'] : ['#/groups', 'Groups'],
    recordForm({ fields: groupFields(clinicians), values: g || { modality: 'group', capacity: 8, active: true }, submit: g ? 'Save' : 'Add group',
      send: (b) => (g ? request('PUT', `/api/groups/${g.id}`, b) : request('POST', '/api/groups', b)), done: (r) => go(`#/groups/${r.id}`) }),
    ...roster);
}
