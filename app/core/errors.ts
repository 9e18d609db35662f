// A KnownError's message says what went wrong and what to do and holds no
// secret; SQLite and Node system errors (with a code such as EACCES) describe
// themselves too: both print as they are. Anything else is a bug, printed
// with its class name. Always one line: never a stack trace to scroll through.


/** An error whose message is meant for the operator and safe to print as is. */
export class KnownError extends Error {
  override name = "KnownError";
}

/** A mistake in how a command was called: the CLI prints its usage and exits 2. */
export class UsageError extends KnownError {
  override name = "UsageError";
}

/** Any thrown value as one line of text. */
export function errorMessage(error: unknown): string {
  let text: string;
  if (error instanceof KnownError) text = error.message;
  else if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = typeof code === "string" ? error.message : `${error.name}: ${error.message}`;
  } else text = String(error);
  return text.replace(/\s*\n\s*/g, " ");
}
