// Who may see and do what under /admin, enforced by React Router middleware
// (docs/decisions/018-admin-authorization.md):
//
// - requireStaff runs on the admin layout route, so before every loader and
//   every action of every route nested in it, page requests and `.data`
//   requests alike. No session: a redirect to the sign-in page that comes
//   back here afterwards. A session: the signed-in person is put in the
//   request's context for the loaders and actions below.
// - requireOwner runs on the routes only the owner may use (staff accounts),
//   after requireStaff: anyone else gets a 403 page.
//
// A loader alone would not do: a parent's loader does not run before a
// child's action, and loaders of one request run in parallel. Middleware
// runs first, for every request that matches the route.
import { createContext, data, href, redirect, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import { databaseContext } from "#app/db/connection.server.ts";
import {
  clearedSessionCookie,
  readSession,
  readSessionToken,
  type StaffSession,
} from "#app/staff/staff-session.server.ts";

const staffContext = createContext<StaffSession>();

export const SIGN_IN_PATH = href("/admin/sign-in");

/** The signed-in person; only valid in routes under requireStaff. */
export function signedInStaff(context: Readonly<RouterContextProvider>): StaffSession {
  return context.get(staffContext);
}

/**
 * Where to go after signing in: a path under /admin and nothing else, so a
 * crafted link (?next=https://evil.example, //evil.example, /\evil.example)
 * can never send someone off the store. Anything doubtful means /admin.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/admin")) return "/admin";
  let url: URL;
  try {
    url = new URL(value, "http://store.invalid");
  } catch {
    return "/admin";
  }
  if (url.origin !== "http://store.invalid" || !/^\/admin(\/|$)/.test(url.pathname)) return "/admin";
  // Not back to the pages that lead here.
  if (/^\/admin\/(sign-in|sign-out|welcome)(\/|$)/.test(url.pathname)) return "/admin";
  return `${url.pathname}${url.search}`;
}

/** The sign-in page, returning to `next` afterwards (when it is not just /admin). */
export function signInUrl(next: string) {
  const safe = safeNext(next);
  return safe === "/admin" ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(safe)}`;
}

/** The page address a request is for: a `.data` request's URL without its suffix and _routes. */
function pageOf(request: Request) {
  const url = new URL(request.url);
  url.searchParams.delete("_routes");
  const path = url.pathname.replace(/\.data$/, "").replace(/\/_root$/, "");
  const search = url.searchParams.toString();
  return search ? `${path}?${search}` : path;
}

export const requireStaff: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const token = await readSessionToken(request);
  const session = readSession(context.get(databaseContext), token);
  if (!session) {
    // A cookie that no longer matches a session (expired, signed out
    // elsewhere, account disabled) is cleared on the way.
    const headers = token ? { "Set-Cookie": await clearedSessionCookie(request) } : undefined;
    throw redirect(signInUrl(pageOf(request)), { headers });
  }
  context.set(staffContext, session);
  const response = await next();
  // Staff pages show customers' details: never indexed. (Never cached
  // either: the request carries the staff cookie, app/web/cache.server.ts.)
  response.headers.set("X-Robots-Tag", "noindex");
  return response;
};

/** The refund pages: money goes back, so the owner only. */
export const requireOwnerToRefund: MiddlewareFunction<Response> = ({ context }, next) => {
  if (signedInStaff(context).staff.role !== "owner") {
    throw data("Only the store's owner can refund orders.", { status: 403, statusText: "Forbidden" });
  }
  return next();
};

/** Accepting a payment Stripe flagged (the amount differs): the owner only, as refunds. */
export const requireOwnerToAcceptPayment: MiddlewareFunction<Response> = ({ context }, next) => {
  if (signedInStaff(context).staff.role !== "owner") {
    throw data("Only the store's owner can accept payments.", { status: 403, statusText: "Forbidden" });
  }
  return next();
};

export const requireOwner: MiddlewareFunction<Response> = ({ context }, next) => {
  if (signedInStaff(context).staff.role !== "owner") {
    throw data("Only the store's owner can manage staff accounts.", { status: 403, statusText: "Forbidden" });
  }
  return next();
};
