import { el } from './dom.js';

/** The full-size image with what made it, in a modal dialog (Esc or the button closes it). */
export function openViewer(job, image) {
  const dialog = document.getElementById('viewer');
  const close = el(
    'button',
    { type: 'button', class: 'close', onclick: () => dialog.close() },
    'Close',
  );
  const row = (name, value) => [el('dt', {}, name), el('dd', {}, value ?? '—')];
  dialog.replaceChildren(
    el(
      'div',
      { class: 'viewer' },
      el('img', {
        src: image.url,
        alt: job.request.prompt ?? '',
        width: image.width,
        height: image.height,
        id: 'viewer-image',
      }),
      el(
        'div',
        { class: 'meta' },
        el('h2', { id: 'viewer-title' }, job.id),
        el(
          'dl',
          {},
          row('Prompt', job.request.prompt),
          row('Enhanced prompt', job.result?.enhanced_prompt),
          row('Seed', job.request.seed),
          row('Model', job.request.model),
          row('Size', `${image.width}×${image.height}`),
          row('SHA-256', el('code', {}, image.sha256)),
        ),
        el('p', {}, el('a', { href: image.url, target: '_blank', rel: 'noopener' }, 'Open image')),
        close,
      ),
    ),
  );
  dialog.showModal();
  close.focus();
}
