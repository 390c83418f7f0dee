// session.js -- documenting a group session (#/sessions/ID): the attendance grid, start and stop times,
// the group note and one note per present member, with the audit's warnings and the coding engine's
// lines for each present member refreshed as the user types (POST /api/sessions/ID/check). The draft
// is kept as it is typed (visit.js: this browser at once, the server after a pause and on leaving the
// page); "Save draft" stores it at the version read (409 when someone else saved first); "Sign and lock"
// saves, asks for confirmation and signs every note and the session, or lists the errors that stand in
// the way, naming the members. A signed session is read-only; its notes take addenda. Sessions of the
// other kinds are documented by visit.js.

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';
import { localTime, utcOf } from './clock.js';
import { visitView, draftKeeper, signPanel, renderFindings, renderLines, allFindings } from './visit.js';

const GROUP_PARTS = [['theme', 'Theme'], ['techniques', 'Techniques and interventions'], ['dynamics', 'Group dynamics'], ['factors', 'Therapeutic factors']];
const MEMBER_PARTS = [['participation', 'Participation'], ['response', 'Response to interventions'], ['progress', 'Progress toward goals'], ['plan', 'Plan']];

const fullName = (c) => `${c.first_name} ${c.last_name}`;


function textArea(id, label, value, readonly) {
  const t = h('textarea', { id, rows: 3, readonly: readonly || null }, value || '');
  return h('div', { class: 'field' }, h('label', { for: id }, label), t);
}

export async function sessionView(main, id) {
  const s = await request('GET', `/api/sessions/${encodeURIComponent(id)}`);
  if (s.kind !== 'group' && s.kind !== 'multifamily') return visitView(main, s);
  render(main, s);
}

function render(main, s, notice) {
  const title = `${s.group ? s.group.name : 'Session'} — ${s.service_date}`;
  document.title = `${title} · psyclaim`;
  const edit = s.editable;
  const notes = s.notes || null; // null: this role reads no note text
  let saved = s; // the latest answer of the server: note ids and versions for the next save
  const noteOf = (clientId) => (saved.notes || notes || []).find((n) => n.client_id === clientId) || null;
  const names = new Map(s.members.map((c) => [c.id, fullName(c)]));
  const att = new Map(s.attendance.map((a) => [a.client_id, a]));

  const start = h('input', { id: 'session-start', type: 'time', value: localTime(s.start_utc), readonly: !edit || null });
  const stop = h('input', { id: 'session-stop', type: 'time', value: localTime(s.stop_utc), readonly: !edit || null });
  const rows = s.members.map((c) => {
    const a = att.get(c.id) || { present: false, late_minutes: 0, early_minutes: 0, interactive_complexity: false };
    const present = h('input', { type: 'checkbox', id: `present-${c.id}`, checked: a.present || null, disabled: !edit || null, 'data-client': c.id });
    const late = h('input', { type: 'number', min: 0, max: 720, id: `late-${c.id}`, value: a.late_minutes, class: 'minutes', readonly: !edit || null, 'aria-label': `${fullName(c)}: minutes late` });
    const early = h('input', { type: 'number', min: 0, max: 720, id: `early-${c.id}`, value: a.early_minutes, class: 'minutes', readonly: !edit || null, 'aria-label': `${fullName(c)}: minutes left early` });
    const ic = h('input', { type: 'checkbox', class: 'complexity', id: `ic-${c.id}`, checked: a.interactive_complexity || null, disabled: !edit || null, 'aria-label': `${fullName(c)}: interactive complexity (90785)` });
    return { c, present, late, early, ic, row: h('tr', {}, h('th', { scope: 'row' }, h('label', { for: present.id }, fullName(c))),
      h('td', {}, present), h('td', {}, late), h('td', {}, early), h('td', {}, ic)) };
  });

  const findingsBox = h('div', { class: 'findings-box', 'aria-live': 'polite', id: 'session-findings' });
  renderFindings(findingsBox, allFindings(s), names);
  const linesBox = h('div', { class: 'coding-out', id: 'session-coding', 'aria-live': 'polite' });
  renderLines(linesBox, s.coding, names);
  const saveStatus = h('p', { class: 'hint', id: 'save-status', role: 'status' });
  const message = h('p', { class: 'error', role: 'alert', id: 'session-error' });
  const memberNotes = h('div', { class: 'member-notes' });

  let groupNote = null;
  if (notes) {
    const g = noteOf(0);
    groupNote = h('fieldset', { class: 'card note', 'data-client': 0 },
      h('legend', {}, 'Group note', g && g.status === 'signed' ? ' (signed)' : ''),
      GROUP_PARTS.map(([k, label]) => textArea(`note-0-${k}`, label, g && g[k], !edit)),
      g ? addenda(g, main, s) : null);
  }

  function drawMemberNotes() {
    if (!notes) return;
    const present = rows.filter((r) => r.present.checked);
    const kept = new Map([...memberNotes.querySelectorAll('fieldset')].map((f) => [Number(f.dataset.client), f]));
    replace(memberNotes, present.length ? present.map((r) => {
      if (kept.has(r.c.id)) return kept.get(r.c.id);
      const n = noteOf(r.c.id);
      return h('fieldset', { class: 'card note', 'data-client': r.c.id },
        h('legend', {}, fullName(r.c), n && n.status === 'signed' ? ' (signed)' : ''),
        MEMBER_PARTS.map(([k, label]) => textArea(`note-${r.c.id}-${k}`, label, n && n[k], !edit)),
        n ? addenda(n, main, s) : null);
    }) : h('p', { class: 'notice' }, 'Mark who was present to write their notes.'));
  }
  drawMemberNotes();

  function draft() {
    const d = {
      version: keeper ? keeper.state.version : s.version,
      start_utc: utcOf(s.service_date, start.value),
      stop_utc: utcOf(s.service_date, stop.value),
      attendance: rows.map((r) => ({
        client_id: r.c.id, present: r.present.checked,
        late_minutes: r.present.checked ? Number(r.late.value) || 0 : 0,
        early_minutes: r.present.checked ? Number(r.early.value) || 0 : 0,
        interactive_complexity: r.present.checked && r.ic.checked,
      })),
    };
    if (notes) {
      d.notes = [...main.querySelectorAll('fieldset.note')].map((f) => {
        const clientId = Number(f.dataset.client);
        const n = noteOf(clientId);
        const out = { client_id: clientId };
        if (n) Object.assign(out, { id: n.id, version: n.version });
        for (const [k] of clientId ? MEMBER_PARTS : GROUP_PARTS) out[k] = f.querySelector(`#note-${clientId}-${k}`).value;
        return out;
      }).filter((n) => { const o = noteOf(n.client_id); return !o || o.status !== 'signed'; });
    }
    return d;
  }

  let timer = null, seq = 0;
  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      try {
        const r = await request('POST', `/api/sessions/${s.id}/check`, draft());
        if (mine !== seq) return;
        renderFindings(findingsBox, allFindings(r), names);
        renderLines(linesBox, r.coding, names);
      } catch (e) {
        if (mine === seq) message.textContent = e.message;
      }
    }, 300);
  }

  const keeper = edit ? draftKeeper(s, draft, (x) => {
    saved = x;
    renderFindings(findingsBox, allFindings(x), names);
    renderLines(linesBox, x.coding, names);
  }, saveStatus) : null;

  async function save() {
    message.textContent = '';
    keeper.markDirty();
    try {
      return await keeper.save();
    } catch (e) {
      showSaveError(e);
      return null;
    }
  }

  function showSaveError(e) {
    if (e instanceof ApiError && e.status === 409) {
      const reload = h('button', { type: 'button' }, 'Reload the session');
      reload.addEventListener('click', () => { keeper.stop(); localStorage.removeItem(`psyclaim.draft.session.${s.id}`); sessionView(main, s.id).catch((err) => dispatchEvent(new CustomEvent('psyclaim:error', { detail: err }))); });
      replace(message, e.message, ' ', reload);
    } else {
      message.textContent = e.field ? `${e.field}: ${e.message.replace(/^[^:]*: /, '')}` : e.message;
    }
  }

  let actions = null;
  if (edit) {
    const saveBtn = h('button', { type: 'button', id: 'session-save' }, 'Save draft');
    saveBtn.addEventListener('click', async () => {
      saveBtn.disabled = true;
      const x = await save();
      saveBtn.disabled = false;
      if (x) {
        keeper.stop();
        render(main, x, 'Draft saved.');
      }
    });
    const signed = (x) => {
      keeper.stop();
      localStorage.removeItem(`psyclaim.draft.session.${s.id}`);
      render(main, x, 'Signed and locked.');
    };
    actions = [h('div', { class: 'actions' }, saveBtn, saveStatus), signPanel(s, names, save, signed)];
    for (const r of rows) r.present.addEventListener('change', drawMemberNotes);
  }

  const page = h('div', { class: 'session-doc' },
    s.group ? h('p', { class: 'eyebrow' }, h('a', { href: `#/groups/${s.group.id}` }, s.group.name)) : null,
    h('h1', {}, title),
    h('p', { class: 'intro', id: 'session-state' }, s.signed_at ? `Signed and locked ${s.signed_at.replace('T', ' ').replace('Z', ' UTC')}.` : 'Open: not signed yet.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('section', { class: 'card' }, h('h2', {}, 'Times'),
      h('div', { class: 'field' }, h('label', { for: start.id }, 'Started'), start),
      h('div', { class: 'field' }, h('label', { for: stop.id }, 'Ended'), stop)),
    h('section', {}, h('h2', {}, 'Attendance'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'attendance' },
        h('thead', {}, h('tr', {}, ['Member', 'Present', 'Minutes late', 'Minutes left early', '90785'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows.map((r) => r.row))))),
    h('section', {}, h('h2', {}, 'Warnings'), findingsBox),
    h('section', {}, h('h2', {}, 'Claim lines'), linesBox),
    notes ? h('section', {}, h('h2', {}, 'Notes'), groupNote, memberNotes)
      : h('p', { class: 'notice' }, 'Note text is not shown to your role.'),
    message, actions);
  // the listener lives on this page's element, so it goes when the page is replaced
  if (edit) {
    page.addEventListener('input', (ev) => { if (ev.target.id !== 'override-reason') { keeper.changed(); scheduleCheck(); } });
    page.addEventListener('change', (ev) => { if (ev.target.type === 'checkbox') { keeper.changed(); scheduleCheck(); } });
  }
  replace(main, page);
  if (edit) restore();

  // what was typed and not saved (a closed tab, an ended sign-in): put it back and save it
  function restore() {
    const local = keeper.pending();
    if (!local) return;
    const d = local.draft;
    start.value = localTime(d.start_utc);
    stop.value = localTime(d.stop_utc);
    for (const a of d.attendance || []) {
      const r = rows.find((x) => x.c.id === a.client_id);
      if (!r) continue;
      r.present.checked = a.present;
      r.late.value = a.late_minutes;
      r.early.value = a.early_minutes;
      r.ic.checked = !!a.interactive_complexity;
    }
    drawMemberNotes();
    for (const n of d.notes || []) {
      const parts = n.client_id ? MEMBER_PARTS : GROUP_PARTS;
      for (const [k] of parts) {
        const t = main.querySelector(`#note-${n.client_id}-${k}`);
        if (t && typeof n[k] === 'string') t.value = n[k];
      }
    }
    saveStatus.textContent = 'Restored what you typed before; saving it…';
    keeper.changed();
    keeper.save().catch(() => {});
  }
}

/** The addenda of a signed note, with a form to add one when the role writes notes. */
function addenda(n, main, s) {
  if (n.status !== 'signed') return null;
  const list = n.addenda.length ? h('ul', { class: 'addenda' }, n.addenda.map((a) => h('li', {},
    h('time', { datetime: a.created_at }, a.created_at.replace('T', ' ').replace('Z', ' UTC')), ': ', a.text))) : null;
  if (!s.may_addend) return list;
  const id = `addendum-${n.id}`;
  const text = h('textarea', { id, rows: 2 });
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'addendum' }, h('div', { class: 'field' }, h('label', { for: id }, 'Add an addendum'), text), msg,
    h('button', { type: 'submit' }, 'Add addendum'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      render(main, await request('POST', `/api/notes/${n.id}/addendum`, { text: text.value }), 'Addendum added.');
    } catch (e) {
      msg.textContent = e.message;
    }
  });
  return [list, form];
}
