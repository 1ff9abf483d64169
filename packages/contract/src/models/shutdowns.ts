import { getModel } from './registry.ts';

/**
 * `MODEL_SHUTDOWNS=google/imagen-4.0-generate-001=2027-03-01,…`: a provider's shutdown notice,
 * applied without a release. Past the date, new jobs for the model are refused (naming its
 * successor) and queued ones fail as `model_unavailable` without a provider call.
 */
export function parseModelShutdowns(value: string): Record<string, string> {
  const dates: Record<string, string> = {};
  for (const entry of value.split(',').filter((part) => part.trim() !== '')) {
    const at = entry.lastIndexOf('=');
    const name = entry.slice(0, at).trim();
    const date = entry.slice(at + 1).trim();
    const spec = at > 0 ? getModel(name) : undefined;
    if (!spec) throw new Error(`"${entry}" is not model=date with a registered model`);
    if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(date) || Number.isNaN(Date.parse(date))) {
      throw new Error(`"${date}" is not an ISO date (YYYY-MM-DD)`);
    }
    dates[spec.id] = date;
  }
  return dates;
}
