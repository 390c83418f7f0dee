// setup.js -- the first-run page: shown instead of the sign-in form while the database has no practice
// (GET /api/setup answers 200). It creates the practice, its first admin user and, if chosen, payers
// from the built-in profiles in one request, then signs the new admin in.

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';
import { recordForm, practiceFields } from './forms.js';

export function setupView(main, setup, signedIn) {
  document.title = 'Start your practice · psyclaim';
  const payerRows = setup.profiles.map((p) => {
    const box = h('input', { type: 'checkbox', id: `setup-profile-${p.id}`, value: p.id });
    const code = h('input', { id: `setup-code-${p.id}`, name: `payer_code_${p.id}`, placeholder: 'electronic payer id', 'aria-label': `electronic payer id for ${p.name}` });
    box.addEventListener('change', () => { if (box.checked) code.focus(); });
    return { p, box, code, el: h('div', { class: 'field check payer-pick' }, box, h('label', { for: box.id }, p.name), code) };
  });
  const admin = [
    { name: 'admin_username', label: 'Your user name', required: true, autocomplete: 'username', hint: 'you will be the practice\u2019s administrator' },
    { name: 'admin_password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', hint: 'at least 8 characters' },
    { name: 'admin_password2', label: 'Password again', type: 'password', required: true, autocomplete: 'new-password' },
  ];
  const payerError = h('p', { class: 'field-error', role: 'alert' });
  const form = recordForm({
    fields: [...practiceFields, ...admin],
    values: { time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/Chicago', state: '' },
    submit: 'Create the practice',
    extra: h('fieldset', { class: 'payers' }, h('legend', {}, 'Payers to start with (optional)'),
      h('p', { class: 'hint' }, 'Each profile brings its billing rules; you can add and edit payers later.'),
      payerRows.map((r) => r.el), payerError),
    send: async (b) => {
      payerError.textContent = '';
      if (b.admin_password !== b.admin_password2) {
        throw new ApiError(422, { error: { field: 'admin_password2', message: 'admin_password2: the two passwords differ' } });
      }
      delete b.admin_password2;
      b.payers = payerRows.filter((r) => r.box.checked).map((r) => ({ profile: r.p.id, payer_code: r.code.value.trim() }));
      try {
        return await request('POST', '/api/setup', b);
      } catch (e) {
        if (e.field && e.field.startsWith('payers')) {
          payerError.textContent = e.message;
          const i = Number((e.field.match(/\[(\d+)\]/) || [])[1]);
          const chosen = payerRows.filter((r) => r.box.checked)[i];
          if (chosen) chosen.code.focus();
          e.field = null;
          e.message = 'A payer needs attention (see above).';
        }
        throw e;
      }
    },
    done: async () => {
      const session = await request('POST', '/api/login', { username: form.querySelector('[name=admin_username]').value.trim(), password: form.querySelector('[name=admin_password]').value });
      location.hash = '#/practice';
      await signedIn(session);
    },
  });
  replace(main, h('h1', {}, 'Start your practice'),
    h('p', {}, 'This database has no practice yet. Enter the practice as it bills (the legal name, NPI and tax id on your claims: the type 2 NPI of an organisation, or the own NPI of a sole proprietor) and create your own administrator account.'),
    form);
  form.querySelector('input').focus();
}
