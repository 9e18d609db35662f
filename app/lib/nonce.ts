import { createContext as createReactContext, useContext } from "react";
import { createContext, type RouterContext } from "react-router";

// The per-request nonce of the Content-Security-Policy (server.ts makes one
// for every response; app/server/security-headers.server.ts puts it in the
// header). It reaches the server render through the router context, and the
// components that render <script> tags through a React context. In the
// browser there is none (browsers hide it from scripts), and none is needed:
// after hydration React Router adds no inline scripts.

// server.ts runs this module directly and the app bundle has its own copy
// (as with the database connection, decision 001): one key for both, on
// globalThis, or the value server.ts sets would not be the one the render reads.
const shared = globalThis as typeof globalThis & { __storeNonceContext?: RouterContext<string> };

/** Router context: server.ts's getLoadContext sets it, entry.server.tsx reads it. */
export const nonceContext = (shared.__storeNonceContext ??= createContext<string>(""));

const NonceContext = createReactContext("");
export const NonceProvider = NonceContext.Provider;

/** The nonce for <Scripts> and <ScrollRestoration>; "" in the browser. */
export function useNonce() {
  return useContext(NonceContext);
}
