// The failure a rule means to tell its user (tom_education's pipelines raise one with a message for the
// person, not the programmer): the node fails with exactly this message, no stack, no location.
// Anything else a rule throws that is a programming error (TypeError, RangeError, …) is shown with where it
// came from, and its stack goes to the node's log (describe-error.ts).
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
}
