// Every call to the API goes through here: the key travels only in the Authorization header,
// never in a URL (URLs end up in logs and browser history).
const STORAGE_KEY = 'imagen-queue.api-key';

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** A problem+json answer, with the fields at fault when the API named them. */
export class ApiError extends Error {
  constructor(status, problem) {
    const fields = (problem?.errors ?? []).map((e) => `${e.path} ${e.message}`).join('; ');
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.fields = fields;
  }
}

function headers(extra = {}) {
  return { authorization: `Bearer ${session.key}`, ...extra };
}

export async function api(path, { method = 'GET', body, type = 'application/json' } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers['content-type'] = type;
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new Event('console:unauthorized'));
    throw new ApiError(response.status, parsed);
  }
  return parsed;
}

/**
 * Server-Sent Events read with fetch: EventSource cannot send an Authorization header.
 * Calls `onEvent(name, data)` per event; resolves when the server closes the stream.
 */
export async function followEvents(path, onEvent, signal) {
  const response = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
      end = buffer.indexOf('\n\n');
    }
  }
}
