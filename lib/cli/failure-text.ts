/** An AWS or network failure in a few words (the SDK's messages can be empty). */
export function failureText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'ResourceNotFoundException') return 'no such table';
  const code = (err as { code?: unknown }).code;
  // A refused connection to localhost is an AggregateError with an empty message (happy eyeballs).
  return err.message || (typeof code === 'string' ? code : err.name);
}
