import { api, followEvents } from './api.js';
import { el, errorText, statusBadge, toast, when } from './dom.js';
import { openViewer } from './viewer.js';

const FINISHED = ['completed', 'canceled'];
const RETRYABLE = ['failed', 'canceled'];

/** One batch, live: counts and progress from its event stream, its images, its webhooks. */
export async function batchView(main, id, signal) {
  let batch = await api(`/v1/batches/${id}`);
  if (signal.aborted) return;
  const status = el('span', { id: 'batch-status' });
  const progress = el('progress', { id: 'progress', max: 1, value: 0 });
  const progressText = el('output', { id: 'progress-text', 'aria-live': 'polite' });
  const eta = el('span', { class: 'eta' });
  const counts = el('dl', { class: 'counts' });
  const cancel = el(
    'button',
    { type: 'button', id: 'cancel-batch', class: 'danger' },
    'Cancel batch',
  );
  const gallery = el('ul', { class: 'gallery', id: 'gallery', 'aria-label': 'Images' });
  const jobsBody = el('tbody');
  const webhooks = el('tbody', { id: 'webhook-log' });
  const items = new Map();

  const showBatch = () => {
    const c = batch.counts;
    const done = c.succeeded + c.failed + c.canceled;
    status.replaceChildren(statusBadge(batch.status));
    progress.max = Math.max(c.total, 1);
    progress.value = done;
    progressText.textContent = `${done}/${c.total}`;
    eta.textContent = batch.eta && !FINISHED.includes(batch.status) ? `ETA ${when(batch.eta)}` : '';
    counts.replaceChildren(
      ...['queued', 'running', 'succeeded', 'failed', 'canceled'].flatMap((name) => [
        el('dt', {}, name),
        el('dd', {}, c[name]),
      ]),
    );
    cancel.hidden = FINISHED.includes(batch.status);
  };

  const jobAction = (job) => {
    if (RETRYABLE.includes(job.status)) {
      return el('button', { type: 'button', onclick: () => act(job, 'retry') }, 'Retry');
    }
    if (job.status === 'queued' || job.status === 'running') {
      return el('button', { type: 'button', onclick: () => act(job, 'cancel') }, 'Cancel');
    }
    return '';
  };
  const showJob = (job) => {
    const row = el(
      'tr',
      { 'data-job': job.id },
      el('td', { class: 'mono' }, job.id),
      el('td', {}, statusBadge(job.status)),
      el('td', { class: 'prompt' }, job.request.prompt ?? ''),
      el('td', {}, job.error ? `${job.error.code}: ${job.error.message}` : ''),
      el('td', {}, jobAction(job)),
    );
    const known = items.get(job.id);
    if (known) known.row.replaceWith(row);
    else jobsBody.append(row);
    const images = job.status === 'succeeded' ? (job.result?.images ?? []) : [];
    if (!known?.shown && images.length > 0) {
      for (const image of images) {
        const open = el(
          'button',
          { type: 'button', class: 'thumb', onclick: () => openViewer(job, image) },
          el('img', {
            src: image.url,
            loading: 'lazy',
            alt: job.request.prompt ?? job.id,
            width: image.width,
            height: image.height,
          }),
        );
        gallery.append(el('li', {}, open));
      }
    }
    items.set(job.id, { row, shown: known?.shown || images.length > 0 });
  };

  const act = async (job, action) => {
    try {
      showJob(await api(`/v1/jobs/${job.id}/${action}`, { method: 'POST' }));
      toast(`${action === 'retry' ? 'Re-queued' : 'Canceled'} ${job.id}`);
      if (action === 'retry' && FINISHED.includes(batch.status)) follow();
    } catch (error) {
      toast(errorText(error));
    }
  };

  const loadJobs = async () => {
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: '500' });
      if (cursor) query.set('cursor', cursor);
      const page = await api(`/v1/batches/${id}/jobs?${query}`);
      for (const job of page.data) showJob(job);
      cursor = page.next_cursor;
    } while (cursor && !signal.aborted);
  };
  const loadWebhooks = async () => {
    const log = await api(`/v1/batches/${id}/webhooks?limit=100`);
    if (log.data.length === 0) {
      const none = batch.webhook_url ? 'None yet.' : 'None: this batch has no webhook URL.';
      webhooks.replaceChildren(el('tr', {}, el('td', { colspan: 4 }, none)));
      return;
    }
    webhooks.replaceChildren(
      ...log.data.map((event) =>
        el(
          'tr',
          {},
          el('td', {}, event.type),
          el('td', {}, event.status ?? ''),
          el('td', {}, String(event.attempts?.length ?? 0)),
          el(
            'td',
            {},
            (event.attempts ?? [])
              .map((a) => `${a.status_code ?? a.error ?? '—'} @ ${when(a.at)}`)
              .join(', '),
          ),
        ),
      ),
    );
  };

  // Jobs that changed are re-read at most once a second, however many events arrive.
  let pending = null;
  const refresh = () => {
    pending ??= setTimeout(() => {
      pending = null;
      if (!signal.aborted) loadJobs().catch((error) => toast(errorText(error)));
    }, 1000);
  };
  // One stream at a time. A retry while the last stream is still closing asks for another, and
  // a stream that ended on a batch no longer finished (retried meanwhile) is followed again.
  let following = false;
  let followAgain = false;
  const follow = async () => {
    if (following) {
      followAgain = true;
      return;
    }
    following = true;
    try {
      do {
        followAgain = false;
        await followEvents(
          `/v1/batches/${id}/events`,
          (name, data) => {
            if (name === 'status') {
              batch = data;
              showBatch();
            } else if (name === 'job') refresh();
          },
          signal,
        );
        if (signal.aborted) return;
        clearTimeout(pending);
        pending = null;
        batch = await api(`/v1/batches/${id}`);
        showBatch();
        await Promise.all([loadJobs(), loadWebhooks()]);
      } while (!signal.aborted && (followAgain || !FINISHED.includes(batch.status)));
    } catch (error) {
      if (!signal.aborted) toast(errorText(error));
    } finally {
      following = false;
    }
  };

  cancel.addEventListener('click', async () => {
    try {
      batch = await api(`/v1/batches/${id}/cancel`, { method: 'POST' });
      showBatch();
      toast(`Batch ${id} canceled`);
      await loadJobs();
    } catch (error) {
      toast(errorText(error));
    }
  });

  const table = (heads, body) =>
    el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { class: 'list' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            heads.map((h) => el('th', {}, h)),
          ),
        ),
        body,
      ),
    );
  main.replaceChildren(
    el('div', { class: 'bar' }, el('h1', { class: 'mono' }, id), status, cancel),
    el('p', { class: 'progress' }, progress, ' ', progressText, ' ', eta),
    counts,
    el('p', { class: 'muted' }, `Created ${when(batch.created_at)}`),
    el('h2', {}, 'Images'),
    gallery,
    el('h2', {}, 'Jobs'),
    table(['Job', 'Status', 'Prompt', 'Error', ''], jobsBody),
    el('h2', {}, 'Webhook deliveries'),
    table(['Event', 'Status', 'Attempts', 'Answers'], webhooks),
  );
  showBatch();
  await Promise.all([loadJobs(), loadWebhooks()]);
  if (!FINISHED.includes(batch.status)) follow();
}
