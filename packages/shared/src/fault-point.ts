// Test-only: a fault test names a point on a path (`IMAGEN_QUEUE_FAULT_POINT=batch-after-chunk:3`)
// and the process SIGKILLs itself the Nth time (default 1st) it passes there, which is a crash
// at an exact line. Unarmed (production), `faultPoint` is one comparison and does nothing. The
// entry points arm it from `config.faultPoint`; docs/accepting-and-retention.md lists the points.
let armed = '';
let nth = 1;
let hits = 0;

/** Arms the point `name[:N]` for this process; null disarms. */
export function armFaultPoint(spec: string | null): void {
  const [name = '', count] = (spec ?? '').split(':');
  armed = name;
  nth = Number(count ?? 1);
  hits = 0;
}

export function faultPoint(name: string): void {
  if (!armed || armed !== name) return;
  hits += 1;
  if (hits >= nth) process.kill(process.pid, 'SIGKILL');
}
