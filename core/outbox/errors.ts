/**
 * Thrown by a timed handler when retrying can never help (a malformed payload, an object that can no
 * longer be acted on in any way): the row becomes a dead letter at once, with this message as its
 * last error, instead of being retried. A normal business outcome (the request was already paid, the
 * hold already released) is not an error: the handler returns and the row is done.
 */
export class JobRejected extends Error {
  override name = 'JobRejected';
}
