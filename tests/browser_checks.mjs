// What the scripted browser checks share: a list of failed checks, each printed as it fails,
// so that a script runs every check and reports them all at the end.

/** Failed checks, in the order they failed. */
export const failures = [];

/** Records `message` as a failure unless `ok`; answers `ok`. */
export function check(ok, message) {
  if (!ok) {
    failures.push(message);
    console.error(`FAIL: ${message}`);
  }
  return ok;
}
