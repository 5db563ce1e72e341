// A terminal in the page over the PTY WebSocket (api.md §6a): start one, type, resize with the
// page, and re-attach to it later by its tag (the server replays its last output on connect).
import { Terminal } from '/assets/xterm.mjs';
import { FitAddon } from '/assets/addon-fit.mjs';
import { h, onLeave } from './ui.js';

function toBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(data) {
  return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
}

/** The tag of the terminal this tab last had open in a capsule, so that coming back re-attaches to it. */
const remembered = {
  key: (capsuleId) => 'wrenn.terminal.' + capsuleId,
  get: (capsuleId) => sessionStorage.getItem(remembered.key(capsuleId)),
  set: (capsuleId, tag) => sessionStorage.setItem(remembered.key(capsuleId), tag),
  forget: (capsuleId) => sessionStorage.removeItem(remembered.key(capsuleId)),
};

/** The terminal panel of one capsule; {@code attach(tag)} re-attaches to a terminal found elsewhere. */
export function terminalPanel(capsuleId) {
  const screen = h('div', { class: 'terminal', id: 'terminal', hidden: true });
  const line = h('p', { class: 'muted', id: 'terminal-status', role: 'status' }, 'No terminal open.');
  const open = h('button', { type: 'button', id: 'terminal-open' }, 'Open a new terminal');
  const reattach = h('button', { type: 'button', class: 'quiet', id: 'terminal-reattach', hidden: true }, 'Re-attach');
  let term = null;
  let fit = null;
  let socket = null;
  let tag = remembered.get(capsuleId);

  function status(text, isError) {
    line.textContent = text;
    line.className = isError ? 'error' : 'muted';
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function screenReady() {
    screen.hidden = false;
    if (!term) {
      term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
      fit = new FitAddon();
      term.loadAddon(fit);
      term.open(screen);
      term.onData((d) => send({ type: 'input', data: toBase64(d) }));
      term.onResize(({ cols, rows }) => {
        screen.dataset.size = rows + ' ' + cols;
        send({ type: 'resize', cols, rows });
      });
      const observer = new ResizeObserver(() => fit.fit());
      observer.observe(screen);
      onLeave(() => observer.disconnect());
      onLeave(() => term.dispose());
    }
    term.reset();
    fit.fit();
    screen.dataset.size = term.rows + ' ' + term.cols;
    // xterm.js draws nothing while it is out of view: bring it in
    screen.scrollIntoView({ block: 'nearest' });
  }

  function connect(first) {
    if (socket) socket.close();
    screenReady();
    status('Connecting…');
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host
      + '/api/v1/capsules/' + encodeURIComponent(capsuleId) + '/pty');
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify(first.type === 'start' ? { ...first, cols: term.cols, rows: term.rows } : first));
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.type === 'started') {
        tag = f.tag;
        remembered.set(capsuleId, tag);
        status('Terminal ' + f.tag + ' (pid ' + f.pid + '). Closing the page leaves it running.');
        send({ type: 'resize', cols: term.cols, rows: term.rows });
        term.focus();
      } else if (f.type === 'output') {
        term.write(fromBase64(f.data));
      } else if (f.type === 'exit') {
        term.write('\r\n[the shell exited with code ' + f.exit_code + ']\r\n');
        remembered.forget(capsuleId);
        tag = null;
      } else if (f.type === 'error') {
        status(f.data, true);
        if (f.fatal && first.type === 'connect') {
          remembered.forget(capsuleId);
          tag = null;
        }
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      reattach.hidden = !tag;
      if (!line.classList.contains('error')) status(tag ? 'Disconnected; ' + tag + ' runs on and can be re-attached.' : 'No terminal open.');
    };
    reattach.hidden = true;
  }

  open.addEventListener('click', () => connect({ type: 'start' }));
  reattach.addEventListener('click', () => connect({ type: 'connect', tag }));
  reattach.hidden = !tag;
  onLeave(() => { if (socket) socket.close(); socket = null; });

  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'terminal-heading' },
      h('h2', { id: 'terminal-heading' }, 'Terminal'), h('div', { class: 'row' }, open, reattach), line, screen),
    attach: (t) => { tag = t; connect({ type: 'connect', tag: t }); },
  };
}
