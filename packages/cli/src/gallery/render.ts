import { galleryStyles } from './styles.ts';

/** One card of the gallery: an image file, or a job that produced none. */
export interface GalleryItem {
  /** The job's position in the batch. */
  index: number;
  jobId: string;
  status: string;
  /** Relative path of the image beside index.html; absent for a job without images. */
  file?: string;
  width?: number;
  height?: number;
  prompt: string;
  enhancedPrompt?: string | null;
  seed?: number;
  model: string;
  aspectRatio: string;
  error?: string;
}

export interface GalleryPage {
  title: string;
  /** A line under the title, e.g. the batch counts. */
  summary: string;
  items: GalleryItem[];
}

/**
 * A self-contained `index.html`: inline CSS, no script, relative image paths only, so the
 * folder can be opened from disk, zipped or served anywhere without a network.
 */
export function renderGallery(page: GalleryPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${galleryStyles}</style>
</head>
<body>
<header>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.summary)}</p>
</header>
<main class="grid">
${page.items.map(renderCard).join('\n')}
</main>
</body>
</html>
`;
}

function renderCard(item: GalleryItem): string {
  const picture = item.file
    ? `<a class="thumb" href="${escapeAttribute(item.file)}" title="Open the full image">` +
      `<img src="${escapeAttribute(item.file)}" alt="${escapeAttribute(item.prompt)}" loading="lazy"` +
      `${item.width && item.height ? ` width="${item.width}" height="${item.height}"` : ''}></a>`
    : `<div class="thumb missing">${escapeHtml(item.error ?? item.status)}</div>`;
  const enhanced =
    item.enhancedPrompt && item.enhancedPrompt !== item.prompt
      ? `<p class="enhanced" title="${escapeHtml(item.enhancedPrompt)}"><span>Enhanced</span> ${escapeHtml(item.enhancedPrompt)}</p>`
      : '';
  const facts: [string, string][] = [
    ['index', String(item.index)],
    ['seed', item.seed === undefined ? 'random' : String(item.seed)],
    ['model', item.model],
    ['aspect', item.aspectRatio],
  ];
  return `<figure class="card ${escapeAttribute(item.status)}" data-job="${escapeAttribute(item.jobId)}">
${picture}
<figcaption>
<p class="prompt">${escapeHtml(item.prompt)}</p>
${enhanced}
<dl>${facts.map(([term, value]) => `<dt>${term}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>
</figcaption>
</figure>`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** File names go into attributes: escape them and keep `#`/`?` from being read as URL parts. */
function escapeAttribute(text: string): string {
  return escapeHtml(text.replace(/[#?%]/g, (char) => encodeURIComponent(char)));
}
