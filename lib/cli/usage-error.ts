/** A command-line mistake (an unknown flag, a missing argument, a bad value): exit code 2, nothing written. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
