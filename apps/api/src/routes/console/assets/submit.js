import { api } from './api.js';
import { el, errorText, toast } from './dom.js';
import { FALLBACK_PROPERTIES, field, parameterControls } from './params.js';

const DEFAULT_MODEL = 'imagen-3.0-generate-002';

/** `GET /v1/models` when the server has it; without it, the default model and every field. */
async function loadModels() {
  try {
    const answer = await api('/v1/models');
    return answer.data.length > 0 ? answer.data : null;
  } catch {
    return null;
  }
}

/** One prompt a line, or an NDJSON file of parameter objects (dropped or chosen). */
function parseLines(text, ndjson) {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (!ndjson) return lines.map((prompt) => ({ prompt: prompt.trim() }));
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} of the file is not JSON`);
    }
  });
}

export async function submitView(main, signal) {
  const models = await loadModels();
  if (signal.aborted) return;
  const prompts = el('textarea', {
    id: 'prompts',
    rows: 8,
    required: true,
    placeholder: 'One prompt a line',
  });
  let fileText = null;
  const fileName = el('span', { class: 'file-name' });
  const fileInput = el('input', { type: 'file', accept: '.ndjson,.jsonl,.txt', id: 'file' });
  const takeFile = async (file) => {
    fileText = await file.text();
    fileName.textContent = `${file.name}: ${fileText.split('\n').filter((l) => l.trim()).length} lines`;
    prompts.required = false;
  };
  fileInput.addEventListener('change', () => fileInput.files[0] && takeFile(fileInput.files[0]));
  const drop = el(
    'div',
    { class: 'drop', id: 'drop' },
    'Drop an NDJSON file here, or ',
    el('label', { class: 'link picker' }, 'choose one', fileInput),
    ' ',
    fileName,
  );
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer.files[0];
    if (file) takeFile(file);
  });

  const model = el(
    'select',
    { id: 'model', name: 'model' },
    (models ?? [{ id: DEFAULT_MODEL }]).map((m) =>
      el('option', { value: m.id, selected: m.id === DEFAULT_MODEL }, m.id),
    ),
  );
  const webhook = el('input', { id: 'webhook_url', type: 'url', placeholder: 'https://…' });
  // The fields the chosen model takes, from its JSON Schema when the server publishes one.
  const parameters = el('div', { class: 'parameters', id: 'parameters' });
  let controls = [];
  const showFields = () => {
    const schema = models?.find((m) => m.id === model.value)?.parameters?.properties;
    controls = parameterControls(schema ?? FALLBACK_PROPERTIES);
    parameters.replaceChildren(...controls.map((c) => c.node));
  };
  model.addEventListener('change', showFields);
  showFields();

  const problem = el('p', { class: 'problem', role: 'alert' });
  const form = el(
    'form',
    { class: 'submit', id: 'submit-form' },
    field('Prompts', prompts),
    drop,
    el(
      'fieldset',
      {},
      el('legend', {}, 'Parameters'),
      field('Model', model, models ? null : 'this server lists no models; the default is used'),
      parameters,
      field('Webhook URL', webhook, 'optional'),
    ),
    problem,
    el('button', { type: 'submit', class: 'primary' }, 'Submit batch'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const defaults = { model: model.value };
    for (const { name, read } of controls) {
      const value = read();
      if (value !== undefined) defaults[name] = value;
    }
    try {
      const jobs =
        fileText !== null ? parseLines(fileText, true) : parseLines(prompts.value, false);
      if (jobs.length === 0) throw new Error('no prompts');
      const body = { jobs, defaults };
      if (webhook.value) body.webhook_url = webhook.value;
      const batch = await api('/v1/batches', { method: 'POST', body });
      toast(`Batch ${batch.id} accepted: ${batch.counts.total} jobs`);
      location.hash = `#/batches/${batch.id}`;
    } catch (error) {
      problem.textContent = errorText(error);
    }
  });
  main.replaceChildren(el('h1', {}, 'New batch'), form);
  prompts.focus();
}
