// Test-only: a fault test names a point on a path (`IMAGEN_QUEUE_FAULT_POINT=batch-after-chunk:3`)
// and the process SIGKILLs itself the Nth time (default 1st) it passes there, which is a crash
// at an exact line. Unset (production), `faultPoint` is one comparison and does nothing. Read
// from the environment directly, not through loadConfig: it is no setting and is not documented
// as one (docs/accepting-and-retention.md lists the points).
const [armed, nth] = (process.env.IMAGEN_QUEUE_FAULT_POINT ?? '').split(':');
let hits = 0;

export function faultPoint(name: string): void {
  if (!armed || armed !== name) return;
  hits += 1;
  if (hits >= Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
