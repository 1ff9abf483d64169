import { api } from './api.js';
import { el, pager, statusBadge, when } from './dom.js';

function statusFilter(statuses, current, base) {
  const select = el(
    'select',
    {
      'aria-label': 'Status',
      onchange: (event) => {
        const value = event.target.value;
        location.hash = value ? `${base}?status=${value}` : base;
      },
    },
    el('option', { value: '' }, 'any status'),
    statuses.map((s) => el('option', { value: s, selected: s === current }, s)),
  );
  return el('label', { class: 'filter' }, 'Show ', select);
}

function query(status, cursor) {
  const params = new URLSearchParams({ limit: '25' });
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  return params;
}

export async function batchesView(main, params) {
  const status = params.get('status') ?? '';
  const body = el('tbody');
  const table = el(
    'table',
    { class: 'list' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['Batch', 'Status', 'Done', 'Created'].map((h) => el('th', {}, h)),
      ),
    ),
    body,
  );
  const more = pager(
    (cursor) => api(`/v1/batches?${query(status, cursor)}`),
    (batches) => {
      for (const batch of batches) {
        const done = batch.counts.succeeded + batch.counts.failed + batch.counts.canceled;
        body.append(
          el(
            'tr',
            {},
            el('td', {}, el('a', { href: `#/batches/${batch.id}` }, batch.id)),
            el('td', {}, statusBadge(batch.status)),
            el('td', {}, `${done}/${batch.counts.total}`),
            el('td', {}, when(batch.created_at)),
          ),
        );
      }
    },
  );
  main.replaceChildren(
    el(
      'div',
      { class: 'bar' },
      el('h1', {}, 'Batches'),
      statusFilter(['queued', 'running', 'completed', 'canceled'], status, '#/batches'),
      el('a', { class: 'button', href: '#/new' }, 'New batch'),
    ),
    el('div', { class: 'scroll' }, table),
    more.button,
  );
  await more.next();
  if (body.children.length === 0) table.after(el('p', {}, 'No batches yet.'));
}

export async function jobsView(main, params) {
  const status = params.get('status') ?? '';
  const body = el('tbody');
  const table = el(
    'table',
    { class: 'list' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['Job', 'Status', 'Model', 'Prompt', 'Batch', 'Created'].map((h) => el('th', {}, h)),
      ),
    ),
    body,
  );
  const more = pager(
    (cursor) => api(`/v1/jobs?${query(status, cursor)}`),
    (jobs) => {
      for (const job of jobs) {
        body.append(
          el(
            'tr',
            {},
            el('td', { class: 'mono' }, job.id),
            el('td', {}, statusBadge(job.status)),
            el('td', {}, job.request.model),
            el('td', { class: 'prompt' }, job.request.prompt ?? ''),
            el(
              'td',
              {},
              job.batch_id ? el('a', { href: `#/batches/${job.batch_id}` }, 'open') : '—',
            ),
            el('td', {}, when(job.created_at)),
          ),
        );
      }
    },
  );
  main.replaceChildren(
    el(
      'div',
      { class: 'bar' },
      el('h1', {}, 'Jobs'),
      statusFilter(['queued', 'running', 'succeeded', 'failed', 'canceled'], status, '#/jobs'),
    ),
    el('div', { class: 'scroll' }, table),
    more.button,
  );
  await more.next();
  if (body.children.length === 0) table.after(el('p', {}, 'No jobs yet.'));
}
