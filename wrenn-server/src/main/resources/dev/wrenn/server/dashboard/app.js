// The Wrenn dashboard: one page over the public API (api.md), signed in by the session cookie.
// Everything shown comes from the API and is put in the page as text (never as HTML): capsule
// metadata, names and errors are other people's input.

const POLL_MS = 2000;
const STATUSES = ['pending', 'starting', 'running', 'paused', 'stopped', 'error'];

const state = { session: null, timer: null };

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  const r = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 204) return null;
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const e = data && data.error ? data.error : { code: 'http_' + r.status, message: 'HTTP ' + r.status };
    if (r.status === 401 && state.session) signedOut();
    throw new ApiError(r.status, e.code, e.message);
  }
  return data;
}

// ---- the page ------------------------------------------------------------------------------

/** An element with attributes, listeners (on…) and children; strings become text nodes. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function show(...content) {
  const main = document.getElementById('main');
  main.replaceChildren(...content);
}

function toast(message, kind) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = kind || '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

/** Runs an action of a button, showing its error; the button waits while it runs. */
async function act(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    toast(e.message, 'error');
  } finally {
    button.disabled = false;
  }
}

function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

function time(iso) {
  return iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '–';
}

// ---- signing in ----------------------------------------------------------------------------

function signedIn(session) {
  state.session = session;
  const who = session.user ? session.user.email : 'API key ' + session.key_id;
  document.getElementById('who').textContent = who + ' · team ' + (session.team.name || session.team.id);
  document.getElementById('top').hidden = false;
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
    rows.replaceChildren(...list.map(capsuleRow));
    empty.hidden = list.length > 0;
  }
  status.addEventListener('change', () => refresh().catch((e) => toast(e.message, 'error')));
  metadata.addEventListener('change', () => refresh().catch((e) => toast(e.message, 'error')));

  show(h('h1', {}, 'Capsules'), createForm(refresh),
    h('div', { class: 'filters' }, field('Status', status), field('Metadata', metadata)), table, empty);
  poll(refresh);
}

function capsuleRow(c) {
  const actions = [];
  const button = (label, work) => {
    const b = h('button', { type: 'button', class: 'quiet', 'data-action': label.toLowerCase() }, label);
    b.addEventListener('click', () => act(b, work));
    return b;
  };
  if (c.status === 'running') actions.push(button('Pause', () => api('POST', '/capsules/' + c.id + '/pause')));
  if (c.status === 'paused') actions.push(button('Resume', () => api('POST', '/capsules/' + c.id + '/resume')));
  if (c.status === 'running' || c.status === 'paused') {
    actions.push(button('Snapshot', async () => {
      const name = prompt('Name of the snapshot template (letters, digits, . _ -):');
      if (name) {
        await api('POST', '/snapshots', { capsule_id: c.id, name });
        toast('Snapshot template ' + name + ' saved');
      }
    }));
  }
  if (c.status !== 'stopped') {
    actions.push(button('Destroy', async () => {
      if (confirm('Destroy capsule ' + c.id + '? Its files are lost.')) await api('DELETE', '/capsules/' + c.id);
    }));
  }
  const meta = Object.entries(c.metadata || {}).map(([k, v]) => h('span', { class: 'tag' }, k + '=' + v));
  return h('tr', { 'data-id': c.id, 'data-status': c.status },
    h('td', { class: 'mono' }, c.id),
    h('td', {}, h('span', { class: 'status ' + c.status }, c.status), c.status_reason ? h('div', { class: 'reason' }, c.status_reason) : null),
    h('td', {}, c.template),
    h('td', {}, c.vcpus + ' vCPU · ' + c.memory_mb + ' MiB'),
    h('td', {}, time(c.created_at)),
    h('td', {}, meta),
    h('td', { class: 'actions' }, actions));
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
      const revoke = h('button', { type: 'button', class: 'quiet', 'data-action': 'revoke' }, 'Revoke');
      revoke.addEventListener('click', () => act(revoke, async () => {
        if (!confirm('Revoke key ' + k.name + '? Programs using it get 401 from now on.')) return;
        await api('DELETE', '/api-keys/' + k.id);
        await refresh();
      }));
      return h('tr', { 'data-id': k.id }, h('td', {}, k.name), h('td', { class: 'mono' }, k.key_prefix + '…'),
        h('td', {}, time(k.created_at)), h('td', {}, time(k.last_used_at)), h('td', { class: 'actions' }, revoke));
    }));
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
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Key', 'Created', 'Last used', ''].map((t) => h('th', {}, t)))), rows));
  refresh().catch((e) => toast(e.message, 'error'));
}

// ---- routing -------------------------------------------------------------------------------

/** Refreshes the view now and every POLL_MS while it is shown and the tab is visible. */
function poll(refresh) {
  const run = () => { if (!document.hidden) refresh().catch((e) => toast(e.message, 'error')); };
  run();
  state.timer = setInterval(run, POLL_MS);
}

const PAGES = { capsules: capsulesPage, keys: keysPage };

async function route() {
  clearInterval(state.timer);
  const page = location.hash.replace(/^#\//, '') || 'capsules';
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
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.toggleAttribute('aria-current', a.dataset.nav === page);
  }
  (PAGES[page] || capsulesPage)();
  document.getElementById('main').focus();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('DELETE', '/session');
  } finally {
    signedOut();
  }
});
window.addEventListener('hashchange', route);
route();
