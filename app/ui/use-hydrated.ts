import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * False in the server's HTML and during hydration, true once React runs in
 * the browser. For controls that only a page without JavaScript needs (a
 * Sort button when the select applies itself): they are in the HTML, and go
 * once scripts have taken over.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
