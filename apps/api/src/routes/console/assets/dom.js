// Elements are built with textContent only, never innerHTML: prompts are user text.

/** `el('a', { href: '#/x', class: 'b', onclick }, 'text', child…)` */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function toast(message) {
  const box = document.getElementById('toast');
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    box.textContent = '';
  }, 6000);
}

/** An API error said in full, with the field at fault. */
export function errorText(error) {
  return error.fields ? `${error.message} (${error.fields})` : error.message;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function statusBadge(status) {
  return el('span', { class: `badge ${status}` }, status);
}

/** A "More" button that appends the next page of a list while there is one. */
export function pager(load, renderItems) {
  const button = el('button', { type: 'button', class: 'more' }, 'More');
  let cursor = null;
  const next = async () => {
    button.disabled = true;
    const page = await load(cursor);
    renderItems(page.data);
    cursor = page.next_cursor;
    button.hidden = cursor === null;
    button.disabled = false;
  };
  button.addEventListener('click', () => next().catch((error) => toast(errorText(error))));
  return { button, next };
}
