// The Wrenn dashboard: one page over the public API (api.md), signed in by the session cookie.
// Views are chosen by the URL's fragment (#/capsules, #/capsules/ID, #/templates, #/keys, #/hosts).
import { api, state } from './api.js';
import { act, button, bytes, failed, field, h, leaveView, poll, show, table, time, toast } from './ui.js';
import { capsuleActions, capsulePage, statusBadge, tags } from './capsule.js';

const STATUSES = ['pending', 'starting', 'running', 'paused', 'stopped', 'error'];

// ---- signing in ----------------------------------------------------------------------------

function signedIn(session) {
  state.session = session;
  const who = session.user ? session.user.email : 'API key ' + session.key_id;
  const whoLine = document.getElementById('who');
  whoLine.textContent = who + ' · team ' + (session.team.name || session.team.id);
  whoLine.title = whoLine.textContent;   // the line is cut short on narrow screens
  const teams = session.teams || [];
  const picker = document.getElementById('team-switch');
  picker.replaceChildren(...teams.map((t) => h('option', { value: t.id, selected: t.id === session.team.id }, t.name + ' (' + t.role + ')')));
  picker.hidden = teams.length < 2;
  document.getElementById('top').hidden = false;
}

/** Acts for another of the user's teams: the server opens a session for it in place of this one. */
async function switchTeam(teamId) {
  try {
    signedIn(await api('PUT', '/session', { team: teamId }));
    toast('Now acting for team ' + state.session.team.name);
    if (location.hash.startsWith('#/capsules/')) location.hash = '#/capsules';   // a capsule of the team left behind
    else route();
  } catch (e) {
    failed(e);
    if (state.session) signedIn(state.session);   // the picker shows the team still in use
  }
}

function signedOut() {
  state.session = null;
  document.getElementById('top').hidden = true;
  if (location.hash === '#/sign-in') route();
  else location.hash = '#/sign-in';
}

/** A form that opens a session with what {@code body()} gives and goes to the capsules; a refusal shows under it. */
function signInForm(id, heading, inputs, submit, body) {
  const error = h('p', { class: 'error', role: 'alert' });
  return h('form', {
    id,
    onsubmit: async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      try {
        signedIn(await api('POST', '/sessions', body()));
        location.hash = '#/capsules';
      } catch (e) {
        error.textContent = e.message;
      }
    },
  }, heading, inputs, submit, error);
}

function signInPage() {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const key = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', placeholder: 'wrn_…', required: true });
  show(h('section', { class: 'narrow' },
    signInForm('sign-in', h('h1', {}, 'Sign in to Wrenn'), [field('Email', email), field('Password', password)],
      h('button', { type: 'submit' }, 'Sign in'), () => ({ email: email.value, password: password.value })),
    signInForm('sign-in-key', h('h2', {}, 'Or with an API key'), [field('API key', key)],
      h('button', { type: 'submit', class: 'quiet' }, 'Sign in with the key'), () => ({ api_key: key.value.trim() }))));
  email.focus();
}

/** A fresh installation: the first API key (printed by the server at its first start) makes the first user. */
function firstRunPage() {
  const key = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', placeholder: 'wrn_…', required: true });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  show(h('section', { class: 'narrow' }, h('form', {
    id: 'first-run',
    onsubmit: async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      try {
        signedIn(await api('POST', '/sessions', { api_key: key.value.trim() }));
        await api('POST', '/members', { email: email.value, password: password.value, role: 'owner' });
        await api('DELETE', '/session');
        signedIn(await api('POST', '/sessions', { email: email.value, password: password.value }));
        location.hash = '#/capsules';
      } catch (e) {
        error.textContent = e.message;
      }
    },
  }, h('h1', {}, 'Welcome to Wrenn'),
  h('p', {}, 'Nobody can sign in yet. Give the API key the server printed at its first start, and make your own user: you will own the team.'),
  field('First API key', key), field('Your email', email), field('Your password (10 characters or more)', password),
  h('button', { type: 'submit' }, 'Make my user'), error)));
  key.focus();
}

// ---- capsules ------------------------------------------------------------------------------

function capsulesPage() {
  const status = h('select', { name: 'status', 'aria-label': 'Status' },
    h('option', { value: '' }, 'every status'), STATUSES.map((s) => h('option', { value: s }, s)));
  const metadata = h('input', { type: 'text', name: 'metadata', placeholder: 'key=value', 'aria-label': 'Metadata filter' });
  const rows = h('tbody', { id: 'capsule-rows' });
  const table = h('table', { class: 'capsules' },
    h('thead', {}, h('tr', {}, ['Capsule', 'Status', 'Template', 'Size', 'Created', 'Metadata', ''].map((t) => h('th', {}, t)))), rows);
  const empty = h('p', { class: 'muted', id: 'no-capsules', hidden: true }, 'No capsules here yet. Create one above.');

  async function refresh() {
    const params = new URLSearchParams();
    if (status.value) params.set('status', status.value);
    const m = metadata.value.trim();
    if (m.includes('=')) params.set('metadata.' + m.slice(0, m.indexOf('=')).trim(), m.slice(m.indexOf('=') + 1).trim());
    const list = await api('GET', '/capsules' + (params.size ? '?' + params : ''));
    rows.replaceChildren(...list.map((c) => capsuleRow(c, refresh)));
    empty.hidden = list.length > 0;
  }
  status.addEventListener('change', () => refresh().catch(failed));
  metadata.addEventListener('change', () => refresh().catch(failed));

  show(h('h1', {}, 'Capsules'), createForm(refresh),
    h('div', { class: 'filters' }, field('Status', status), field('Metadata', metadata)), table, empty);
  poll(refresh);
}

function capsuleRow(c, refresh) {
  return h('tr', { 'data-id': c.id, 'data-status': c.status },
    h('td', { class: 'mono' }, h('a', { href: '#/capsules/' + encodeURIComponent(c.id) }, c.id)),
    h('td', {}, statusBadge(c)),
    h('td', {}, c.template),
    h('td', {}, c.vcpus + ' vCPU · ' + c.memory_mb + ' MiB'),
    h('td', {}, time(c.created_at)),
    h('td', {}, tags(c.metadata)),
    h('td', { class: 'actions' }, capsuleActions(c, refresh)));
}

function createForm(refresh) {
  const template = h('input', { type: 'text', name: 'template', value: 'minimal', required: true, list: 'templates' });
  const vcpus = h('input', { type: 'number', name: 'vcpus', min: 1, max: 8, placeholder: 'template' });
  const memory = h('input', { type: 'number', name: 'memory_mb', min: 128, step: 128, placeholder: 'template' });
  const timeout = h('input', { type: 'number', name: 'timeout_sec', min: 0, placeholder: '0: none' });
  const internet = h('input', { type: 'checkbox', name: 'allow_internet', checked: true });
  const submit = h('button', { type: 'submit' }, 'Create capsule');
  const form = h('form', {
    id: 'create',
    class: 'inline',
    onsubmit: (ev) => {
      ev.preventDefault();
      const body = { template: template.value.trim(), network: { allow_internet: internet.checked } };
      if (vcpus.value) body.vcpus = Number(vcpus.value);
      if (memory.value) body.memory_mb = Number(memory.value);
      if (timeout.value) body.timeout_sec = Number(timeout.value);
      act(submit, async () => {
        const c = await api('POST', '/capsules', body);
        toast('Capsule ' + c.id + ' is ' + c.status);
        await refresh();
      });
    },
  }, field('Template', template), field('vCPUs', vcpus), field('Memory (MiB)', memory), field('Idle timeout (s)', timeout),
  h('label', { class: 'check' }, internet, ' Internet'), submit);
  return form;
}

// ---- API keys ------------------------------------------------------------------------------

function keysPage() {
  const rows = h('tbody', { id: 'key-rows' });
  const shown = h('div', { id: 'new-key', hidden: true });
  const name = h('input', { type: 'text', name: 'name', placeholder: 'what the key is for', required: true, maxlength: 200 });
  const submit = h('button', { type: 'submit' }, 'Create key');

  async function refresh() {
    const keys = await api('GET', '/api-keys');
    rows.replaceChildren(...keys.map((k) => {
      const revoke = button('Revoke', async () => {
        if (!confirm('Revoke key ' + k.name + '? Programs using it get 401 from now on.')) return;
        await api('DELETE', '/api-keys/' + k.id);
        await refresh();
      });
      return h('tr', { 'data-id': k.id }, h('td', {}, k.name), h('td', { class: 'mono' }, k.key_prefix + '…'),
        h('td', {}, time(k.created_at)), h('td', {}, time(k.last_used_at)), h('td', { class: 'actions' }, revoke));
    }));
    if (!keys.length) rows.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'The team has no API key. Programs need one: create it above.')));
  }

  const form = h('form', {
    id: 'create-key',
    class: 'inline',
    onsubmit: (ev) => {
      ev.preventDefault();
      act(submit, async () => {
        const k = await api('POST', '/api-keys', { name: name.value });
        const value = h('code', { id: 'new-key-value' }, k.key);
        const copy = h('button', { type: 'button', class: 'quiet' }, 'Copy');
        copy.addEventListener('click', () => navigator.clipboard.writeText(k.key).then(() => toast('Copied'),
          () => toast('The browser did not allow copying: select the key instead', 'error')));
        shown.replaceChildren(h('p', {}, 'The new key, shown only now:'), value, copy);
        shown.hidden = false;
        name.value = '';
        await refresh();
      });
    },
  }, field('Name', name), submit);

  show(h('h1', {}, 'API keys'), form, shown,
    table('keys', ['Name', 'Key', 'Created', 'Last used', ''], rows));
  refresh().catch(failed);
}

// ---- templates -----------------------------------------------------------------------------

function templatesPage() {
  const rows = h('tbody', { id: 'template-rows' });
  const empty = h('p', { class: 'muted', id: 'no-templates', hidden: true }, 'No templates.');

  async function refresh() {
    const list = await api('GET', '/snapshots');
    rows.replaceChildren(...list.map((t) => {
      const actions = [button('Create capsule', async () => {
        const c = await api('POST', '/capsules', { template: t.name });
        toast('Capsule ' + c.id + ' is ' + c.status + ' from ' + t.name);
      })];
      if (!t.built_in) {
        actions.push(button('Delete', async () => {
          if (!confirm('Delete template ' + t.name + '? Capsules made from it keep working.')) return;
          await api('DELETE', '/snapshots/' + encodeURIComponent(t.name));
          await refresh();
        }));
      }
      const source = t.source_capsule_id
        ? h('a', { href: '#/capsules/' + encodeURIComponent(t.source_capsule_id), class: 'mono' }, t.source_capsule_id) : '–';
      return h('tr', { 'data-name': t.name }, h('td', { class: 'mono' }, t.name), h('td', {}, t.built_in ? 'built in' : 'snapshot'),
        h('td', {}, t.vcpus + ' vCPU · ' + t.memory_mb + ' MiB'), h('td', {}, bytes(t.size_bytes)), h('td', {}, time(t.created_at)),
        h('td', {}, source), h('td', { class: 'actions' }, actions));
    }));
    empty.hidden = list.length > 0;
  }

  show(h('h1', {}, 'Templates'),
    h('p', { class: 'muted' }, 'Built-in templates and the snapshots your team saved (Snapshot on a capsule makes one).'),
    table('templates', ['Name', 'Kind', 'Size', 'On disk', 'Created', 'Saved from', ''], rows), empty);
  refresh().catch(failed);
}

// ---- members -------------------------------------------------------------------------------

function membersPage() {
  const rows = h('tbody', { id: 'member-rows' });
  // owners and API keys change members; a member sees the list only (the API says so too)
  const mayChange = state.session.role !== 'member';
  const me = state.session.user ? state.session.user.id : null;

  async function refresh() {
    const members = await api('GET', '/members');
    rows.replaceChildren(...members.map((m) => h('tr', { 'data-email': m.email },
      h('td', {}, m.email), h('td', {}, m.role), h('td', {}, time(m.joined_at)),
      h('td', { class: 'actions' }, mayChange && m.user_id !== me ? button('Remove', async () => {
        if (!confirm('Take ' + m.email + ' out of the team?')) return;
        await api('DELETE', '/members/' + encodeURIComponent(m.user_id));
        await refresh();
      }) : null))));
    if (!members.length) rows.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'Nobody signs in to this team yet.')));
  }

  const email = h('input', { type: 'email', name: 'member_email', required: true, autocomplete: 'off' });
  const password = h('input', { type: 'password', name: 'member_password', minlength: 10, autocomplete: 'new-password',
    placeholder: 'for a new user' });
  const role = h('select', { name: 'member_role' }, h('option', { value: 'member' }, 'member'), h('option', { value: 'owner' }, 'owner'));
  const submit = h('button', { type: 'submit' }, 'Add member');
  const form = h('form', {
    id: 'add-member',
    class: 'inline',
    hidden: !mayChange,
    onsubmit: (ev) => {
      ev.preventDefault();
      act(submit, async () => {
        const body = { email: email.value.trim(), role: role.value };
        if (password.value) body.password = password.value;
        const m = await api('POST', '/members', body);
        toast(m.email + ' is now a ' + m.role + ' of the team');
        email.value = '';
        password.value = '';
        await refresh();
      });
    },
  }, field('Email', email), field('Password (10 characters or more)', password), field('Role', role), submit);

  show(h('h1', {}, 'Members'),
    h('p', { class: 'muted' }, mayChange ? 'People who sign in to this team. A new user needs a password; an existing one keeps theirs.'
      : 'People who sign in to this team. Only an owner adds or removes members.'),
    form, table('members', ['Email', 'Role', 'Joined', ''], rows));
  refresh().catch(failed);
}

// ---- hosts ---------------------------------------------------------------------------------

function hostsPage() {
  const rows = h('tbody', { id: 'host-rows' });
  const mb = (n) => (n / 1024).toFixed(1) + ' GiB';
  async function refresh() {
    const hosts = await api('GET', '/hosts');
    rows.replaceChildren(...hosts.map((x) => {
      const c = x.capacity;
      return h('tr', { 'data-id': x.id, 'data-status': x.status },
        h('td', {}, x.name, h('div', { class: 'reason mono' }, x.id)), h('td', {}, h('span', { class: 'status ' + x.status }, x.status)),
        h('td', {}, c ? String(c.cpus) : '–'), h('td', {}, c ? mb(c.memory_free_mb) + ' of ' + mb(c.memory_total_mb) : '–'),
        h('td', {}, c ? mb(c.disk_free_mb) : '–'), h('td', {}, c ? String(c.vms) : '–'), h('td', {}, c ? String(c.room) : '–'),
        h('td', {}, x.embedded ? 'now' : time(x.last_seen_at)));
    }));
    if (!hosts.length) rows.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No host is registered: capsules cannot be created.')));
  }
  show(h('h1', {}, 'Hosts'),
    h('p', { class: 'muted' }, 'Where capsules run. Room is how many more capsules of the average size fit now.'),
    table('hosts', ['Host', 'Status', 'CPUs', 'Free memory', 'Free disk', 'VMs', 'Room', 'Last heard'], rows));
  poll(refresh, 5000);
}

// ---- routing -------------------------------------------------------------------------------

const PAGES = { capsules: capsulesPage, templates: templatesPage, keys: keysPage, members: membersPage, hosts: hostsPage };

async function route() {
  leaveView();
  const [page, id] = location.hash.replace(/^#\//, '').split('/').map(decodeURIComponent);
  if (!state.session) {
    try {
      signedIn(await api('GET', '/session'));
    } catch {
      const setup = await api('GET', '/setup').catch(() => ({ first_user_needed: false }));
      document.getElementById('top').hidden = true;
      return setup.first_user_needed ? firstRunPage() : signInPage();
    }
  }
  if (page === 'sign-in') location.hash = '#/capsules';
  const known = PAGES[page] ? page : 'capsules';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.toggleAttribute('aria-current', a.dataset.nav === known);
  }
  if (known === 'capsules' && id) capsulePage(id);
  else PAGES[known]();
  document.getElementById('main').focus();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/session');
  } finally {
    signedOut();
  }
});
document.getElementById('team-switch').addEventListener('change', (ev) => switchTeam(ev.target.value));
window.addEventListener('wrenn:signed-out', signedOut);
window.addEventListener('hashchange', route);
route();
