import { api, session } from './api.js';
import { batchView } from './batch.js';
import { el, errorText } from './dom.js';
import { batchesView, jobsView } from './lists.js';
import { submitView } from './submit.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let leaving = new AbortController();

function signInView() {
  nav.hidden = true;
  const key = el('input', {
    id: 'api-key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const problem = el('p', { class: 'problem', role: 'alert' });
  const form = el(
    'form',
    { class: 'sign-in', id: 'sign-in' },
    el('h1', {}, 'Sign in'),
    el('label', { class: 'field' }, el('span', {}, 'API key'), key),
    el(
      'small',
      {},
      'Kept in this tab only (session storage) and sent as the Authorization header.',
    ),
    problem,
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    session.signIn(key.value.trim());
    try {
      await api('/v1/batches?limit=1');
      route();
    } catch (error) {
      session.signOut();
      problem.textContent = error.status === 401 ? 'That key is not valid.' : errorText(error);
    }
  });
  main.replaceChildren(form);
  key.focus();
}

/** `#/batches`, `#/batches/bat_…`, `#/jobs`, `#/new`, each with an optional `?query`. */
async function route() {
  leaving.abort();
  leaving = new AbortController();
  if (!session.key) return signInView();
  nav.hidden = false;
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query ?? '');
  for (const link of nav.querySelectorAll('a')) {
    const current = path?.startsWith(link.getAttribute('href').slice(1));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const batch = /^\/batches\/(bat_[0-9a-z]+)$/.exec(path ?? '');
  try {
    // A view that reads before it renders gets the route's signal: if a newer route began
    // meanwhile it renders nothing (it would replace the newer view, a form being filled in
    // with it). The lists render at once and fill in their rows after.
    const { signal } = leaving;
    if (batch) await batchView(main, batch[1], signal);
    else if (path === '/jobs') await jobsView(main, params);
    else if (path === '/new') await submitView(main, signal);
    else await batchesView(main, params);
  } catch (error) {
    if (!leaving.signal.aborted) {
      main.replaceChildren(el('p', { class: 'problem', role: 'alert' }, errorText(error)));
    }
  }
  main.focus({ preventScroll: true });
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  location.hash = '';
  route();
});
window.addEventListener('console:unauthorized', () => {
  session.signOut();
  route();
});
window.addEventListener('hashchange', route);
route();
