// One capsule: its fields, what may be done to it now, and (while it runs) its processes, the
// ports it listens on, a terminal and its files.
import { api, capsulePath } from './api.js';
import { button, failed, h, leaveView, poll, show, table, time, toast } from './ui.js';
import { terminalPanel } from './terminal.js';
import { filesPanel } from './files.js';

/** The buttons of what can be done to a capsule in its status; {@code after} runs once one succeeded. */
export function capsuleActions(c, after) {
  const path = capsulePath(c.id);
  const actions = [];
  const then = (work) => async () => { await work(); await after(); };
  if (c.status === 'running') actions.push(button('Pause', then(() => api('POST', path + '/pause'))));
  if (c.status === 'paused') actions.push(button('Resume', then(() => api('POST', path + '/resume'))));
  if (c.status === 'running' || c.status === 'paused') {
    actions.push(button('Snapshot', then(async () => {
      const name = prompt('Name of the snapshot template (letters, digits, . _ -):');
      if (name) {
        await api('POST', '/snapshots', { capsule_id: c.id, name });
        toast('Snapshot template ' + name + ' saved');
      }
    })));
  }
  if (c.status !== 'stopped') {
    actions.push(button('Destroy', then(async () => {
      if (confirm('Destroy capsule ' + c.id + '? Its files are lost.')) await api('DELETE', path);
    })));
  }
  return actions;
}

export function statusBadge(c) {
  return [h('span', { class: 'status ' + c.status, 'data-status': c.status }, c.status),
    c.status_reason ? h('div', { class: 'reason', id: 'status-reason' }, c.status_reason) : null];
}

export function tags(metadata) {
  return Object.entries(metadata || {}).map(([k, v]) => h('span', { class: 'tag' }, k + '=' + v));
}

function fields(c) {
  const n = c.network || {};
  const rows = [
    ['Status', statusBadge(c)],
    ['Template', c.template],
    ['Size', c.vcpus + ' vCPU · ' + c.memory_mb + ' MiB'],
    ['Idle timeout', c.timeout_sec ? c.timeout_sec + ' s, then paused' : 'none'],
    ['Created', time(c.created_at)],
    ['Started', time(c.started_at)],
    ['Last active', time(c.last_active_at)],
    ['Internet', n.allow_internet === false ? 'blocked' : 'allowed'],
    ['Allowed out', (n.allow_out || []).join(', ') || '–'],
    ['Denied out', (n.deny_out || []).join(', ') || '–'],
    ['Ports', c.port_access === 'token' ? 'need its traffic token' : 'public to whoever has the URL'],
    ['Resumes on a request', c.auto_resume ? 'yes' : 'no'],
    ['Metadata', tags(c.metadata)],
  ];
  return h('dl', { class: 'fields', id: 'capsule-fields' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/**
 * The address of a port of the capsule through the port proxy (api.md §9), under the host name this
 * page came from; a loopback address becomes localhost, whose sub-domains browsers resolve to it.
 */
function portUrl(c, port) {
  const token = c.port_access === 'token' && c.traffic_token ? '?wrenn_token=' + encodeURIComponent(c.traffic_token) : '';
  const name = ['127.0.0.1', '[::1]'].includes(location.hostname) ? 'localhost' : location.hostname;
  return location.protocol + '//' + port + '-' + c.id + '.' + name + (location.port ? ':' + location.port : '') + '/' + token;
}

/** TCP ports in LISTEN state on an address other than loopback, from /proc/net/tcp{,6}. */
function listeningPorts(procNetTcp) {
  const ports = new Set();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A' || !f[1].includes(':')) continue;
    const [address, port] = f[1].split(':');
    const loopback = address.endsWith('7F') && address.length === 8 || address === '00000000000000000000000001000000';
    if (!loopback) ports.add(parseInt(port, 16));
  }
  return [...ports].sort((a, b) => a - b);
}

function portsPanel(capsule) {
  const list = h('ul', { id: 'port-urls', class: 'plain' });
  const other = h('input', { type: 'number', min: 1, max: 65535, placeholder: 'any port', 'aria-label': 'Port' });
  const link = (port) => h('li', {}, h('a', { href: portUrl(capsule(), port), target: '_blank', rel: 'noopener noreferrer' },
    portUrl(capsule(), port)));
  async function load() {
    const r = await api('POST', capsulePath(capsule().id, '/exec'), { cmd: 'cat', args: ['/proc/net/tcp', '/proc/net/tcp6'] });
    const ports = listeningPorts(r.stdout);
    list.replaceChildren(...(ports.length ? ports.map(link)
      : [h('li', { class: 'muted' }, 'Nothing listens on a TCP port (on an address other than loopback) now.')]));
  }
  const form = h('form', {
    class: 'inline',
    onsubmit: (ev) => {
      ev.preventDefault();
      if (other.value) list.prepend(link(Number(other.value)));
    },
  }, other, h('button', { type: 'submit', class: 'quiet' }, 'Show its URL'), button('Refresh', load));
  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'ports-heading' }, h('h2', { id: 'ports-heading' }, 'Ports'),
      h('p', { class: 'muted' }, 'What listens in the capsule is reachable at these addresses.'), list, form),
    load,
  };
}

function processesPanel(capsuleId, terminal) {
  const rows = h('tbody', { id: 'process-rows' });
  async function load() {
    const { processes } = await api('GET', capsulePath(capsuleId, '/processes'));
    rows.replaceChildren(...processes.map((p) => {
      const target = p.tag || String(p.pid);
      const actions = [];
      if (p.tag && p.tag.startsWith('pty-')) actions.push(button('Attach', async () => terminal.attach(p.tag)));
      actions.push(button('Kill', async () => {
        if (!confirm('Kill ' + target + ' (' + p.cmd + ')?')) return;
        await api('DELETE', capsulePath(capsuleId, '/processes/' + encodeURIComponent(target)));
        await load();
      }));
      return h('tr', { 'data-tag': p.tag || '' }, h('td', { class: 'mono' }, String(p.pid)), h('td', { class: 'mono' }, p.tag || '–'),
        h('td', { class: 'mono' }, [p.cmd, ...(p.args || [])].join(' ')), h('td', { class: 'actions' }, actions));
    }));
    if (!processes.length) rows.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No processes started through the API.')));
  }
  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'processes-heading' },
      h('h2', { id: 'processes-heading' }, 'Processes', ' ', button('Refresh', load)),
      table('processes', ['PID', 'Tag', 'Command', ''], rows)),
    load,
  };
}

export function capsulePage(id) {
  let current = null;
  const heading = h('h1', { class: 'mono' }, id);
  const actions = h('div', { class: 'actions', id: 'capsule-actions' });
  const about = h('div', {});
  const notRunning = h('p', { class: 'muted', id: 'needs-running', hidden: true },
    'Processes, ports, the terminal and files are there while the capsule runs.');
  const terminal = terminalPanel(id);
  const processes = processesPanel(id, terminal);
  const ports = portsPanel(() => current);
  const files = filesPanel(id);
  const live = h('div', { id: 'running-panels', hidden: true },
    terminal.element, files.element, processes.element, ports.element);
  let loaded = false;

  async function refresh() {
    let c;
    try {
      c = await api('GET', capsulePath(id));
    } catch (e) {
      if (e.status !== 404 && e.status !== 400) throw e;
      leaveView();
      show(h('p', {}, h('a', { href: '#/capsules' }, '← Capsules')), h('p', { class: 'error', id: 'no-capsule' }, e.message));
      return;
    }
    current = c;
    actions.replaceChildren(...capsuleActions(c, refresh));
    about.replaceChildren(fields(c));
    const running = c.status === 'running';
    live.hidden = !running;
    notRunning.hidden = running;
    if (running && !loaded) {
      loaded = true;
      await Promise.all([processes.load(), ports.load(), files.load()]).catch(failed);
    }
    if (!running) loaded = false;
  }

  show(h('p', {}, h('a', { href: '#/capsules' }, '← Capsules')), h('div', { class: 'title' }, heading, actions),
    about, notRunning, live);
  poll(refresh);
}
