// A sender in this process hears about a new message at once instead of at
// its next poll. Kept apart from the sender so that code queuing messages
// (checkout, staff actions, the CLI) never loads SMTP code.
const listeners = new Set<() => void>();

export function onWake(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function wakeSenders(): void {
  for (const listener of listeners) listener();
}
