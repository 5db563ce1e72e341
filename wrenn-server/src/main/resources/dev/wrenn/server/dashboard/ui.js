// Building the page. Everything shown comes from the API and goes in as text, never as HTML:
// capsule metadata, file names and errors are other people's input.

/** Work to undo when the view changes: timers, sockets, terminals. */
const cleanups = [];

export function onLeave(undo) {
  cleanups.push(undo);
}

export function leaveView() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch (e) {
      console.error(e);
    }
  }
}

/** An element with attributes, listeners (on…) and children; strings become text nodes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function show(...content) {
  document.getElementById('main').replaceChildren(...content);
}

export function toast(message, kind) {
  const t = document.getElementById('toast');
  t.textContent = message;
  t.className = kind || '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

export function failed(e) {
  toast(e.message, 'error');
}

/** Runs an action of a button, showing its error; the button waits while it runs. */
export async function act(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    failed(e);
  } finally {
    button.disabled = false;
  }
}

/** A button that runs {@code work} through act; data-action names it for keyboards' and tests' sake. */
export function button(label, work, props = {}) {
  const b = h('button', { type: 'button', class: 'quiet', 'data-action': label.toLowerCase(), ...props }, label);
  b.addEventListener('click', () => act(b, work));
  return b;
}

export function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

export function table(id, headings, rows) {
  return h('table', { id }, h('thead', {}, h('tr', {}, headings.map((t) => h('th', {}, t)))), rows);
}

export function time(iso) {
  return iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '–';
}

export function bytes(n) {
  if (n == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

/** Refreshes a view now and every {@code ms} while it is shown and the tab is visible. */
export function poll(refresh, ms = 2000) {
  const run = () => { if (!document.hidden) refresh().catch(failed); };
  run();
  const timer = setInterval(run, ms);
  onLeave(() => clearInterval(timer));
}
