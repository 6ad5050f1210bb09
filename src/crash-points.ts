// Named points in a run where the crash tests kill the worker for real: with
// IMPORTS_CRASH_AT=<point> set, the process SIGKILLs itself on reaching that point, so the tests
// can prove, checkpoint by checkpoint, that a run resumes with nothing lost and nothing doubled.
// Unset (always, outside those tests), a crash point is a no-op.

const target = process.env.IMPORTS_CRASH_AT;

export function crashPoint(name: string): void {
  if (target !== undefined && target === name) process.kill(process.pid, 'SIGKILL');
}
