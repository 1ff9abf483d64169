/** A short, file-name-safe rendering of a prompt: `A red fox, at dusk!` → `a-red-fox-at-dusk`. */
export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= maxLength) return slug || 'image';
  // Cut at a word boundary when there is one, so names don't end in half a word.
  const cut = slug.slice(0, maxLength);
  const whole = slug[maxLength] === '-' || !cut.includes('-') ? cut : cut.replace(/-[^-]*$/, '');
  return whole.replace(/-+$/, '');
}
