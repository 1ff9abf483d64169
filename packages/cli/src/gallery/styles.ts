/** The gallery's whole stylesheet, inlined so the page needs nothing but its folder. */
export const galleryStyles = `
:root { color-scheme: light dark; --bg: #f4f4f5; --card: #fff; --text: #18181b; --muted: #71717a; --line: #e4e4e7; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #18181b; --card: #27272a; --text: #f4f4f5; --muted: #a1a1aa; --line: #3f3f46; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
header { padding: 20px 24px 4px; }
h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 16px; padding: 16px 24px 32px; }
.card { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; display: flex; flex-direction: column; }
.thumb { display: block; aspect-ratio: 1 / 1; background: var(--line); }
.thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
.thumb:hover img { opacity: .9; }
.missing { display: flex; align-items: center; justify-content: center; padding: 12px; color: var(--muted); text-align: center; }
figcaption { padding: 10px 12px 12px; }
.prompt { margin: 0 0 6px; font-weight: 600; overflow-wrap: anywhere; }
.enhanced { margin: 0 0 8px; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 4; line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden; }
.enhanced span { font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 0; font-size: 12px; color: var(--muted); }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.failed .missing, .canceled .missing { color: #dc2626; }
`;
