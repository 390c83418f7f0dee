// users.js -- the practice's users for admins (#/users: add, change role, link to a clinician, turn off
// and on, reset a password or a lost second factor, require two-factor sign-in), and each user's own
// account (#/account: change one's password, set up two-factor sign-in).

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';

function field(id, label, input, hint) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

function status() {
  return h('p', { class: 'error', role: 'alert' });
}

/** Shows an API error next to the form; a field error names the field. */
function shown(msg, e) {
  msg.textContent = e instanceof ApiError ? e.message : String(e);
}

function roleSelect(value) {
  const s = h('select', {}, ['admin', 'clinician', 'biller'].map((r) => h('option', { value: r, selected: r === value }, r)));
  return s;
}

function clinicianSelect(clinicians, value) {
  return h('select', {},
    h('option', { value: '' }, '— none —'),
    clinicians.map((c) => h('option', { value: String(c.id), selected: c.id === value }, c.name)));
}

/** #/users: the practice's users (admins only). */
export async function usersView(main, me) {
  document.title = 'Users · psyclaim';
  const data = await request('GET', '/api/users');
  const msg = status();
  const rows = data.users.map((u) => userRow(main, me, u, data.clinicians, msg));

  const name = h('input', { autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const role = roleSelect('clinician');
  const clin = clinicianSelect(data.clinicians, null);
  const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, required: true });
  const add = h('form', { class: 'card', novalidate: true },
    h('h2', {}, 'Add a user'),
    field('new-user-name', 'User name', name, 'Letters, digits and . _ - @'),
    field('new-user-role', 'Role', role),
    field('new-user-clinician', 'Clinician (for a clinician user)', clin),
    field('new-user-password', 'First password', pw, 'At least 8 characters; give it to the person, who can change it.'),
    h('button', { type: 'submit', class: 'primary' }, 'Add user'));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      await request('POST', '/api/users', { username: name.value.trim(), role: role.value, password: pw.value,
        clinician_id: clin.value ? Number(clin.value) : null });
      await usersView(main, me);
      main.querySelector('#users-status').textContent = `Added ${name.value.trim().toLowerCase()}.`;
    } catch (e) {
      shown(msg, e);
    }
  });

  const required = h('input', { type: 'checkbox', id: 'require-2fa', checked: data.two_factor_required });
  required.addEventListener('change', async () => {
    msg.textContent = '';
    try {
      await request('PUT', '/api/users/two-factor', { required: required.checked });
    } catch (e) {
      required.checked = !required.checked;
      shown(msg, e);
    }
  });

  replace(main,
    h('h1', { tabindex: '-1' }, 'Users'),
    h('p', { class: 'intro' }, 'Who may sign in to your practice, and what they may do. Every change is on the audit trail.'),
    h('p', { role: 'status', id: 'users-status' }),
    msg,
    h('div', { class: 'field check' }, h('label', { for: 'require-2fa' }, required,
      'Require two-factor sign-in for everyone (users without it set it up at their next sign-in)')),
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('thead', {}, h('tr', {}, ['User', 'Role', 'Clinician', 'Two-factor', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
    add);
}

function userRow(main, me, u, clinicians, msg) {
  const self = u.id === me.user.id;
  const role = roleSelect(u.role);
  role.setAttribute('aria-label', `Role of ${u.username}`);
  role.disabled = self;
  const clin = clinicianSelect(clinicians, u.clinician_id);
  clin.setAttribute('aria-label', `Clinician of ${u.username}`);
  const save = async (body) => {
    msg.textContent = '';
    try {
      await request('PATCH', `/api/users/${u.id}`, body);
      await usersView(main, me);
    } catch (e) {
      shown(msg, e);
    }
  };
  role.addEventListener('change', () => save({ role: role.value }));
  clin.addEventListener('change', () => save({ role: role.value, clinician_id: clin.value ? Number(clin.value) : null }));
  const toggle = h('button', { type: 'button', disabled: self }, u.active ? 'Turn off' : 'Turn on');
  toggle.addEventListener('click', () => save({ active: !u.active }));
  const reset = h('button', { type: 'button' }, 'Reset password');
  reset.addEventListener('click', async () => {
    const pw = window.prompt(`New password for ${u.username} (at least 8 characters):`);
    if (!pw) return;
    msg.textContent = '';
    try {
      await request('POST', `/api/users/${u.id}/password`, { password: pw });
      main.querySelector('#users-status').textContent = `Password of ${u.username} reset; their sessions ended.`;
    } catch (e) {
      shown(msg, e);
    }
  });
  const totp = h('button', { type: 'button', disabled: !u.two_factor }, 'Reset two-factor');
  totp.addEventListener('click', async () => {
    msg.textContent = '';
    try {
      await request('POST', `/api/users/${u.id}/totp-reset`);
      await usersView(main, me);
    } catch (e) {
      shown(msg, e);
    }
  });
  return h('tr', {},
    h('td', {}, u.username, self ? ' (you)' : ''),
    h('td', {}, role),
    h('td', {}, u.role === 'clinician' ? clin : '—'),
    h('td', {}, u.two_factor ? 'on' : 'off'),
    h('td', {}, u.active ? 'active' : 'turned off'),
    h('td', { class: 'actions' }, toggle, ' ', reset, ' ', totp));
}

/** #/account: one's own password and two-factor sign-in. onEnrolled runs once a second factor is set up. */
export async function accountView(main, me, onEnrolled) {
  document.title = 'Your account · psyclaim';
  const msg = status();
  const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, required: true });
  const done = h('p', { role: 'status' });
  const pwForm = h('form', { class: 'card', novalidate: true },
    h('h2', {}, 'Change your password'),
    field('account-current', 'Current password', cur),
    field('account-new', 'New password', pw, 'At least 8 characters. Your other sessions end.'),
    h('button', { type: 'submit', class: 'primary' }, 'Change password'), done);
  pwForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = done.textContent = '';
    try {
      await request('POST', '/api/me/password', { current_password: cur.value, password: pw.value });
      cur.value = pw.value = '';
      done.textContent = 'Password changed.';
    } catch (e) {
      shown(msg, e);
    }
  });

  const tf = h('section', { class: 'card' }, h('h2', {}, 'Two-factor sign-in'));
  if (me.user.two_factor) {
    tf.append(h('p', {}, 'On: signing in asks for the code of your authenticator app. If you lose your phone, an admin can reset it.'));
  } else {
    const start = h('button', { type: 'button', class: 'primary' }, 'Set up two-factor sign-in');
    tf.append(h('p', {}, 'Sign-in will ask for a 6-digit code from an authenticator app on your phone, as well as your password.'), start);
    start.addEventListener('click', async () => {
      msg.textContent = '';
      let e1;
      try {
        e1 = await request('POST', '/api/me/totp');
      } catch (e) {
        shown(msg, e);
        return;
      }
      const code = h('input', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]*', required: true });
      const confirm = h('form', { novalidate: true },
        h('p', {}, 'Scan this code with your authenticator app, or type the key into it, then enter the code it shows.'),
        h('img', { src: e1.qr, alt: 'QR code of your two-factor key', width: 200, height: 200, class: 'qr' }),
        h('p', {}, 'Key: ', h('code', {}, e1.secret.replace(/(.{4})/g, '$1 ').trim())),
        field('account-code', 'Code from the app', code),
        h('button', { type: 'submit', class: 'primary' }, 'Turn on'));
      confirm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        msg.textContent = '';
        try {
          await request('POST', '/api/me/totp/confirm', { code: code.value });
          me.user.two_factor = true;
          me.must_enrol = false;
          if (onEnrolled) onEnrolled();
          await accountView(main, me, onEnrolled);
        } catch (e) {
          shown(msg, e);
        }
      });
      replace(tf, h('h2', {}, 'Two-factor sign-in'), confirm);
      code.focus();
    });
  }
  replace(main,
    h('h1', { tabindex: '-1' }, 'Your account'),
    me.must_enrol ? h('p', { class: 'notice' }, 'Your practice requires two-factor sign-in. Set it up to go on.') : null,
    msg,
    me.must_enrol ? null : pwForm,
    tf);
}
