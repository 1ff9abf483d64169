/**
 * Markers a test writes into a prompt to steer one request, whatever the run-time config:
 * `[blocked]` the safety filter refuses the prompt; `[filter:N]` N of the images are dropped;
 * `[status:NNN]` the answer is that HTTP status; `[shape:data|output]` the AI/ML API shape.
 * They stay in the prompt, so they are part of what the pixels depend on.
 */
export interface Directives {
  blocked: boolean;
  filter: number;
  status: number | null;
  shape: 'data' | 'output' | null;
  /** `[retired]`: the provider answers that the model is gone (404), as for a retired model. */
  retired: boolean;
}

export function readDirectives(prompt: string): Directives {
  const filter = /\[filter:(\d)\]/i.exec(prompt);
  const status = /\[status:([45]\d\d)\]/i.exec(prompt);
  const shape = /\[shape:(data|output)\]/i.exec(prompt);
  return {
    blocked: /\[blocked\]/i.test(prompt),
    retired: /\[retired\]/i.test(prompt),
    filter: filter ? Number(filter[1]) : 0,
    status: status ? Number(status[1]) : null,
    shape: shape ? (shape[1]!.toLowerCase() as 'data' | 'output') : null,
  };
}

/** A deterministic stand-in for the provider's LLM prompt rewrite. */
export function enhancePrompt(prompt: string): string {
  return `${prompt.trim()}, rendered in sharp focus with soft natural light, rich detail and a balanced composition`;
}
