// visit.js -- documenting an individual, family, crisis or intake session (#/sessions/ID of such a
// kind): times and choices (E/M visit, interactive complexity, family without the patient, intake with
// medical services, telehealth) with the claim lines the coding engine gives them shown beside the form
// as the clinician types, and the note under a template (SOAP, DAP, BIRP or a practice's own).
//
// Also the parts every session page shares (session.js uses them for groups): drafts kept as they are
// typed -- in this browser at once (localStorage), on the server after a pause and when the page is left
// (a keepalive request) -- and restored after a sign-in; and signing, which asks for confirmation and
// shows next to the button every error and warning of the audit and the coding engine, naming members
// by name, with a written reason required to sign over errors.

import { h, replace } from './dom.js';
import { request, keepalive, ApiError } from './api.js';
import { localTime, utcOf, practiceToday } from './clock.js';

const KIND_TITLES = {
  individual: 'Individual psychotherapy', family: 'Family psychotherapy', crisis: 'Crisis psychotherapy', intake: 'Intake (diagnostic evaluation)',
};
const SAVE_AFTER_MS = 1500; // a pause in typing this long saves the draft on the server
const CHECK_AFTER_MS = 300; // and this long refreshes the lines and warnings
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const fullName = (c) => `${c.first_name} ${c.last_name}`;

let templatesCache = null;
export async function noteTemplates() {
  if (!templatesCache) templatesCache = (await request('GET', '/api/note-templates')).templates;
  return templatesCache;
}

/* --- drafts ------------------------------------------------------------------------------------------- */

const draftKey = (id) => `psyclaim.draft.session.${id}`;

function readLocal(id) {
  try {
    return JSON.parse(localStorage.getItem(draftKey(id)) || 'null');
  } catch (e) {
    return null;
  }
}

/**
 * Keeps a session's draft: draft() gives the body PUT takes. Every input is written to localStorage at
 * once; after a pause it is saved on the server (onSaved gets the answer); leaving the page sends it with
 * a keepalive request. A 401 keeps the local copy, which the page restores after the next sign-in.
 */
export function draftKeeper(s, draft, onSaved, status) {
  let timer = null, dirty = false, saving = null;
  const state = { version: s.version };
  function keepLocal() {
    try {
      localStorage.setItem(draftKey(s.id), JSON.stringify({ base: state.version, at: new Date().toISOString(), draft: draft() }));
    } catch (e) { /* storage full or off: the server copy still follows */ }
  }
  async function save() {
    clearTimeout(timer);
    if (!dirty) return null;
    if (saving) await saving.catch(() => {});
    dirty = false;
    const body = { ...draft(), version: state.version };
    saving = request('PUT', `/api/sessions/${s.id}`, body);
    try {
      const saved = await saving;
      state.version = saved.version;
      if (!dirty) localStorage.removeItem(draftKey(s.id));
      status.textContent = `Draft saved at ${localTime(new Date().toISOString())}.`;
      onSaved(saved);
      return saved;
    } catch (e) {
      dirty = true;
      if (e instanceof ApiError && e.status === 401) status.textContent = 'Your sign-in has ended: what you typed is kept in this browser and saved after you sign in again.';
      else status.textContent = `Not saved: ${e.message}`;
      throw e;
    } finally {
      saving = null;
    }
  }
  function changed() {
    dirty = true;
    keepLocal();
    status.textContent = 'Changes not saved yet…';
    clearTimeout(timer);
    timer = setTimeout(() => save().catch(() => {}), SAVE_AFTER_MS);
  }
  function leaving() {
    if (!dirty) return;
    keepLocal();
    keepalive('PUT', `/api/sessions/${s.id}`, { ...draft(), version: state.version });
  }
  const onHide = () => { if (document.visibilityState === 'hidden') leaving(); };
  addEventListener('pagehide', leaving);
  document.addEventListener('visibilitychange', onHide);
  // a page change inside the app: save what is pending, then stop listening
  const onHash = () => {
    leaving();
    removeEventListener('hashchange', onHash);
    removeEventListener('pagehide', leaving);
    document.removeEventListener('visibilitychange', onHide);
  };
  addEventListener('hashchange', onHash);
  return {
    changed, save, state,
    stop: () => { clearTimeout(timer); dirty = false; onHash(); },
    /** The local copy of a draft not yet on the server, when there is one newer than what the server sent. */
    pending: () => {
      const d = readLocal(s.id);
      return d && d.draft ? d : null;
    },
    markDirty: () => { dirty = true; },
  };
}

/* --- findings and signing ----------------------------------------------------------------------------- */

/** A finding's text with the member or client it concerns named. */
export function findingItem(f, names) {
  const who = f.client_id && names.get(f.client_id) ? `${names.get(f.client_id)}: ` : '';
  const sim = f.similarity !== undefined && f.similarity >= 0 ? ` (similarity ${Math.round(f.similarity * 100)}%)` : '';
  return h('li', { class: `finding ${f.severity}` },
    h('span', { class: 'severity' }, f.severity), ' ', h('span', { class: 'rule' }, f.rule), ' ',
    h('span', { class: 'message' }, who + f.message + sim));
}

export function renderFindings(box, findings, names) {
  replace(box, findings.length
    ? h('ul', { class: 'findings' }, findings.map((f) => findingItem(f, names)))
    : h('p', { class: 'notice' }, 'No warnings for this session.'));
}

/** All findings of a check or session answer: the audit's and the coding engine's. */
export function allFindings(answer) {
  return [...(answer.findings || []), ...((answer.coding && answer.coding.findings) || [])];
}

/** The claim lines of the coding engine for a draft: one block per billable member, and the total. */
export function renderLines(box, coding, names) {
  if (!coding || !coding.lines.length) {
    replace(box, h('p', { class: 'notice' }, 'No claim lines yet: type the times or the minutes.'));
    return;
  }
  replace(box, h('div', { class: 'table-wrap' }, h('table', { class: 'coded-lines', id: 'session-lines' },
    h('caption', {}, coding.lines.length === 1 ? 'One claim line' : `${coding.lines.length} claim lines`),
    h('thead', {}, h('tr', {}, ['Member', 'Code', 'Units', 'Modifiers', 'Charge', 'Rules'].map((t, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : null }, t)))),
    h('tbody', {}, coding.lines.map((l) => h('tr', { class: 'coded-line', title: l.explanation },
      h('td', {}, names.get(l.client_id) || '—'),
      h('th', { scope: 'row' }, h('span', { class: 'code' }, l.code)),
      h('td', {}, String(l.units)),
      h('td', {}, l.modifiers.length ? l.modifiers.join(' ') : '—'),
      h('td', { class: 'num' }, l.charge_cents ? money.format(l.charge_cents / 100) : '—'),
      h('td', {}, h('span', { class: 'rule-ids' }, l.rules.join(' ')))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row', colspan: '4' }, 'Total charge'),
      h('td', { class: 'num', id: 'session-total' }, money.format((coding.total_cents || 0) / 100)), h('td', {}))))));
}

/**
 * The sign panel: a button that saves, asks for confirmation and signs; errors found by the server are
 * listed next to it with a reason box to sign over them. save() returns the saved session or null;
 * done(signed) shows the signed session.
 */
export function signPanel(s, names, save, done) {
  const button = h('button', { type: 'button', class: 'primary', id: 'session-sign' }, 'Sign and lock');
  const list = h('div', { class: 'sign-findings', id: 'sign-findings', 'aria-live': 'polite' });
  const reason = h('textarea', { id: 'override-reason', rows: 2 });
  const reasonField = h('div', { class: 'field', hidden: true }, h('label', { for: reason.id }, 'Reason to sign despite these errors (kept with the session)'), reason);
  const message = h('p', { class: 'error', role: 'alert', id: 'sign-error' });
  button.addEventListener('click', async () => {
    message.textContent = '';
    button.disabled = true;
    try {
      const saved = await save();
      if (!saved) return;
      const found = allFindings(saved);
      const errors = found.filter((f) => f.severity === 'error');
      renderFindings(list, found, names);
      if (errors.length && !reason.value.trim()) reasonField.hidden = false;
      const question = errors.length
        ? `Sign and lock this session despite ${errors.length} error${errors.length === 1 ? '' : 's'}? The reason you gave is kept with it.`
        : `Sign and lock this session${found.length ? ` with ${found.length} warning${found.length === 1 ? '' : 's'}` : ''}? It cannot be changed afterwards; corrections are addenda.`;
      if (errors.length && !reason.value.trim()) {
        message.textContent = 'Correct the errors listed, or write why the session may be signed as it is.';
        reason.focus();
        return;
      }
      if (!confirm(question)) return;
      const body = { version: saved.version };
      if (errors.length) body.override_reason = reason.value.trim();
      done(await request('POST', `/api/sessions/${s.id}/sign`, body));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unresolved') {
        renderFindings(list, e.body.findings || [], names);
        reasonField.hidden = false;
        reason.focus();
      }
      message.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'sign-panel card' }, h('h2', {}, 'Sign'), list, reasonField, message, button);
}

/* --- the page ----------------------------------------------------------------------------------------- */

function check(id, label, checked, edit) {
  const input = h('input', { type: 'checkbox', id, checked: checked || null, disabled: !edit || null });
  return { input, el: h('div', { class: 'field check' }, h('label', { for: id }, input, ' ', label)) };
}

function templateFor(templates, kind, id) {
  const fits = templates.filter((t) => t.session_kinds.includes(kind) && t.notes.individual);
  return { fits, chosen: fits.find((t) => t.id === id) || fits.find((t) => t.id === 'soap') || fits[0] };
}

export async function visitView(main, s, notice) {
  const templates = await noteTemplates();
  render(main, s, templates, notice);
}

function render(main, s, templates, notice) {
  const c = s.client;
  const names = new Map([[c.id, fullName(c)]]);
  const edit = s.editable;
  const notes = s.notes || null;
  const note = notes ? notes.find((n) => n.client_id === c.id) || null : null;
  const title = `${KIND_TITLES[s.kind] || s.kind} — ${fullName(c)}, ${s.service_date}`;
  document.title = `${fullName(c)} ${s.service_date} · psyclaim`;
  const ro = !edit || null;

  const start = h('input', { id: 'session-start', type: 'time', value: localTime(s.start_utc), readonly: ro });
  const stop = h('input', { id: 'session-stop', type: 'time', value: localTime(s.stop_utc), readonly: ro });
  const minutes = h('input', { id: 'session-minutes', type: 'number', min: 0, max: 720, value: s.minutes || '', readonly: ro, 'aria-describedby': 'session-minutes-hint' });
  const em = h('input', { id: 'session-em', maxlength: 5, value: s.em_code, readonly: ro, placeholder: 'none', list: 'session-em-codes', autocomplete: 'off' });
  const ic = check('session-ic', 'Interactive complexity (90785)', s.interactive_complexity, edit);
  const absent = check('session-absent', 'Without the patient (90846)', s.patient_absent, edit);
  const medical = check('session-medical', 'With medical services (90792)', s.medical, edit);
  const th = h('select', { id: 'session-telehealth', disabled: !edit || null },
    [['', 'In person'], ['video', 'Video'], ['audio', 'Audio only']].map(([v, t]) => h('option', { value: v, selected: v === (s.th_modality || '') || null }, t)));
  const where = h('select', { id: 'session-location', disabled: !edit || null },
    [['home', 'At home'], ['other', 'Somewhere else']].map(([v, t]) => h('option', { value: v, selected: v === s.patient_location || null }, t)));
  const whereField = h('div', { class: 'field' }, h('label', { for: where.id }, 'Where the patient was'), where);
  const showWhere = () => { whereField.hidden = !th.value; };
  showWhere();

  const { fits, chosen } = templateFor(templates, s.kind, note && note.template);
  let template = chosen;
  const tplSelect = h('select', { id: 'note-template', disabled: !edit || (note && note.status === 'signed') || null },
    fits.map((t) => h('option', { value: t.id, selected: t === template || null }, t.name)));
  const noteBox = h('div', { class: 'note-sections' });
  const texts = new Map(); // part -> textarea; kept across template changes, so nothing typed is lost
  function drawNote() {
    if (!notes) return;
    const sections = template ? template.notes.individual : ['techniques', 'response', 'progress', 'plan'].map((p) => ({ part: p, label: p }));
    replace(noteBox, sections.map((sec) => {
      let t = texts.get(sec.part);
      if (!t) {
        t = h('textarea', { id: `note-${sec.part}`, rows: 4, readonly: (!edit || (note && note.status === 'signed')) || null }, (note && note[sec.part]) || '');
        texts.set(sec.part, t);
      }
      t.placeholder = sec.prompt || '';
      return h('div', { class: 'field' }, h('label', { for: t.id }, sec.label), t);
    }));
  }
  drawNote();

  const linesBox = h('div', { class: 'coding-out', id: 'session-coding', 'aria-live': 'polite' });
  const findingsBox = h('div', { class: 'findings-box', id: 'session-findings', 'aria-live': 'polite' });
  renderLines(linesBox, s.coding, names);
  renderFindings(findingsBox, allFindings(s), names);
  const saveStatus = h('p', { class: 'hint', id: 'save-status', role: 'status' });

  function draft() {
    const d = {
      start_utc: utcOf(s.service_date, start.value), stop_utc: utcOf(s.service_date, stop.value),
      minutes: Number(minutes.value) || 0, em_code: em.value.trim().toUpperCase(),
      interactive_complexity: ic.input.checked, telehealth: th.value, patient_location: th.value ? where.value : '',
    };
    if (s.kind === 'family') d.patient_absent = absent.input.checked;
    if (s.kind === 'intake') d.medical = medical.input.checked;
    if (notes && !(note && note.status === 'signed')) {
      const n = { client_id: c.id, template: template ? template.id : '' };
      const cur = keeper && keeper.noteRef();
      if (cur) Object.assign(n, { id: cur.id, version: cur.version });
      for (const [part, t] of texts) n[part] = t.value;
      d.notes = [n];
    }
    return d;
  }

  let keeper = null;
  let noteRef = note ? { id: note.id, version: note.version } : null;
  const page = h('div', { class: 'session-doc visit' });
  if (edit) {
    keeper = draftKeeper(s, draft, (saved) => {
      const n = (saved.notes || []).find((x) => x.client_id === c.id);
      if (n) noteRef = { id: n.id, version: n.version };
      renderLines(linesBox, saved.coding, names);
      renderFindings(findingsBox, allFindings(saved), names);
    }, saveStatus);
    keeper.noteRef = () => noteRef;
  }

  let seq = 0, timer = null;
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const r = await request('POST', `/api/sessions/${s.id}/check`, { ...draft(), version: keeper.state.version });
        if (mine !== seq) return;
        renderLines(linesBox, r.coding, names);
        renderFindings(findingsBox, allFindings(r), names);
      } catch (e) {
        if (mine === seq) saveStatus.textContent = e.field ? `${e.field}: ${e.message.replace(/^[^:]*: /, '')}` : e.message;
      }
    }, CHECK_AFTER_MS);
  }

  const saveBtn = edit ? h('button', { type: 'button', id: 'session-save' }, 'Save draft') : null;
  const save = async () => {
    keeper.markDirty();
    try {
      return await keeper.save();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        const reload = h('button', { type: 'button' }, 'Reload the session');
        reload.addEventListener('click', () => { keeper.stop(); localStorage.removeItem(draftKey(s.id)); request('GET', `/api/sessions/${s.id}`).then((x) => render(main, x, templates)); });
        replace(saveStatus, e.message, ' ', reload);
      }
      return null;
    }
  };
  if (saveBtn) saveBtn.addEventListener('click', () => save());
  const signed = (x) => {
    keeper.stop();
    localStorage.removeItem(draftKey(s.id));
    render(main, x, templates, 'Signed and locked.');
  };

  const kindFields = [];
  if (s.kind === 'family') kindFields.push(absent.el);
  if (s.kind === 'intake') kindFields.push(medical.el);
  replace(page,
    h('p', { class: 'eyebrow' }, h('a', { href: `#/clients/${c.id}` }, fullName(c))),
    h('h1', {}, title),
    h('p', { class: 'intro', id: 'session-state' }, s.signed_at
      ? `Signed and locked ${s.signed_at.replace('T', ' ').replace('Z', ' UTC')}.` : 'Open: not signed yet.'),
    s.sign_override ? h('p', { class: 'notice', id: 'session-override' }, `Signed despite errors. Reason: ${s.sign_override}`) : null,
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('div', { class: 'visit-grid' },
      h('div', { class: 'visit-form' },
        h('section', { class: 'card' }, h('h2', {}, 'Times and services'),
          h('div', { class: 'row' },
            h('div', { class: 'field' }, h('label', { for: start.id }, 'Started'), start),
            h('div', { class: 'field' }, h('label', { for: stop.id }, 'Ended'), stop),
            h('div', { class: 'field' }, h('label', { for: minutes.id }, 'Psychotherapy minutes'), minutes,
              h('p', { class: 'hint', id: 'session-minutes-hint' }, 'Leave empty to count from the times; give it when an E/M visit shares the session.'))),
          kindFields,
          s.kind !== 'intake' ? h('div', { class: 'field' }, h('label', { for: em.id }, 'E/M visit in the same session'), em,
            h('datalist', { id: 'session-em-codes' }, ['99202', '99203', '99204', '99205', '99211', '99212', '99213', '99214', '99215'].map((x) => h('option', { value: x })))) : null,
          ic.el,
          h('div', { class: 'field' }, h('label', { for: th.id }, 'Telehealth'), th), whereField),
        notes ? h('section', { class: 'card note' }, h('h2', {}, 'Note', note && note.status === 'signed' ? ' (signed)' : ''),
          fits.length ? h('div', { class: 'field' }, h('label', { for: tplSelect.id }, 'Template'), tplSelect) : null,
          noteBox) : h('p', { class: 'notice' }, 'Note text is not shown to your role.')),
      h('aside', { class: 'visit-side' },
        h('section', {}, h('h2', {}, 'Claim lines'), linesBox),
        h('section', {}, h('h2', {}, 'Warnings'), findingsBox))),
    edit ? h('div', { class: 'actions' }, saveBtn, saveStatus) : null,
    edit ? signPanel(s, names, save, signed) : null);

  if (edit) {
    tplSelect.addEventListener('change', () => {
      template = fits.find((t) => t.id === tplSelect.value);
      drawNote();
    });
    th.addEventListener('change', showWhere);
    const typed = (ev) => {
      if (ev.target.id === 'override-reason') return;
      keeper.changed();
      scheduleCheck();
    };
    page.addEventListener('input', typed);
    page.addEventListener('change', typed);
  }
  replace(main, page);

  // what was typed and not saved (a closed tab, an ended sign-in): put it back and save it
  if (edit) {
    const local = keeper.pending();
    if (local) {
      const d = local.draft;
      start.value = localTime(d.start_utc);
      stop.value = localTime(d.stop_utc);
      minutes.value = d.minutes || '';
      em.value = d.em_code || '';
      ic.input.checked = Boolean(d.interactive_complexity);
      th.value = d.telehealth || '';
      where.value = d.patient_location || 'home';
      if (s.kind === 'family') absent.input.checked = Boolean(d.patient_absent);
      if (s.kind === 'intake') medical.input.checked = Boolean(d.medical);
      const n = (d.notes || [])[0];
      if (n) {
        if (n.template && fits.some((t) => t.id === n.template)) {
          tplSelect.value = n.template;
          template = fits.find((t) => t.id === n.template);
          drawNote();
        }
        for (const [part, t] of texts) if (typeof n[part] === 'string') t.value = n[part];
      }
      showWhere();
      saveStatus.textContent = 'Restored what you typed before; saving it…';
      keeper.changed();
      keeper.save().catch(() => {});
    }
  }
}

/* --- opening a session from the client's page --------------------------------------------------------- */

/** The client page's "New session" form and the client's sessions so far. */
export function newSessionForm(c) {
  const kind = h('select', { id: 'new-session-kind' }, Object.entries(KIND_TITLES).map(([v, t]) => h('option', { value: v }, t)));
  const date = h('input', { id: 'new-session-date', type: 'date', value: practiceToday(), required: true });
  const msg = h('p', { class: 'error', role: 'alert', id: 'new-session-error' });
  const form = h('form', { class: 'card new-session', novalidate: true },
    h('h2', {}, 'Document a session'),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: kind.id }, 'Kind'), kind),
      h('div', { class: 'field' }, h('label', { for: date.id }, 'Date'), date)),
    msg, h('button', { type: 'submit', class: 'primary', id: 'new-session' }, 'New session'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const s = await request('POST', `/api/clients/${c.id}/sessions`, { kind: kind.value, service_date: date.value });
      location.hash = `#/sessions/${s.id}`;
    } catch (e) {
      msg.textContent = e.message;
    }
  });
  const list = (c.sessions || []).slice().reverse();
  return [form, h('h2', {}, 'Sessions'), list.length
    ? h('ul', { class: 'session-list' }, list.map((s) => h('li', {},
      h('a', { href: `#/sessions/${s.id}` }, `${s.service_date} ${KIND_TITLES[s.kind] || s.kind}`), ' ', s.signed_at ? 'signed' : 'open')))
    : h('p', { class: 'notice' }, 'No individual sessions yet.')];
}
