import { createContext as createReactContext, useContext } from "react";
import { createContext, type MiddlewareFunction, type RouterContext } from "react-router";

// What Express and React Router tell each other about one request.
export type RequestInfo = {
  /** The Content-Security-Policy nonce the render puts on every script. */
  nonce: string;
  /** The matched pattern (`/orders/:publicId`), which the access log prints instead of the URL. */
  route?: string;
  data?: boolean;
  /** Why a write this request tried could not be made now (app/entry.server.tsx): its 500 becomes a 503. */
  unavailable?: string;
};

// server.ts runs this module directly and the app bundle has its own copy
// (as with the database connection, decision 001): one key for both, on
// globalThis, or the value server.ts sets would not be the one the app reads.
const shared = globalThis as typeof globalThis & { __storeRequestInfo?: RouterContext<RequestInfo> };

/** No default: forgetting to set it in getLoadContext is an error. */

export const requestInfoContext = (shared.__storeRequestInfo ??= createContext<RequestInfo>());

/**
 * This request's details, made on first use and kept on Express's
 * `res.locals`: the security headers put the nonce in, React Router gets the
 * object as load context and puts the route in, the access log reads both.
 */
export function requestInfo(res: { locals: Record<string, unknown> }): RequestInfo {
  return ((res.locals.requestInfo as RequestInfo | undefined) ??= { nonce: "" });
}

/**
 * Root middleware: tells the access log which route answered. And a page
 * that failed only because the store could not write right now (a full
 * disk: handleError in app/entry.server.tsx says so) answers 503 with
 * Retry-After, not 500: nothing is wrong with the request, nor with the code.
 */
export const recordRoute: MiddlewareFunction<Response> = async ({ context, pattern, request }, next) => {
  const info = context.get(requestInfoContext);
  info.route = `/${pattern.replace(/^\//, "")}`;
  // React Router's own data request (a navigation or form post with JavaScript on).
  info.data = new URL(request.url).pathname.endsWith(".data");
  const response = await next();
  if (info.unavailable === undefined || response.status !== 500) return response;
  const headers = new Headers(response.headers);
  headers.set("Retry-After", "60");
  return new Response(response.body, { status: 503, headers });
};

// The nonce reaches the components that render <script> tags through React
// context. In the browser there is none (browsers hide it from scripts), and
// none is needed: after hydration React Router adds no inline scripts.
const NonceContext = createReactContext("");
export const NonceProvider = NonceContext.Provider;

/** The nonce for <Scripts>, <ScrollRestoration> and <Links>; "" in the browser. */
export function useNonce() {
  return useContext(NonceContext);
}
