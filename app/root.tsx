import {
  href,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  type ShouldRevalidateFunctionArgs,
  useLocation,
  useNavigation,
  useRouteLoaderData,
} from "react-router";
import type { Route } from "./+types/root";
import { configContext } from "#app/core/env.server.ts";
import { cachePolicy } from "#app/web/cache.server.ts";
import { recordRoute, useNonce } from "#app/core/request-info.ts";
import { refuseRateLimited } from "#app/web/rate-limited.server.ts";
import { cartCount, getSession, sessionMiddleware, takeNotice } from "#app/web/session.server.ts";
import { setStoreTimeZone } from "#app/ui/time-zone.ts";
import { priceShape, setStoreCurrency } from "#app/core/money.ts";
import stylesheet from "#app/app.css?url";
import { ErrorPage, StaffErrorPage } from "#app/ui/error-page.tsx";

// The stylesheet has a `precedence`, so React writes it ahead of the
// modulepreload links it hoists out of <Scripts>: without one it came after
// 13 of them, and on HTTP/1.1's six connections the page's only
// render-blocking file waited behind ~130 kB of JavaScript (catalog LCP 2.2 s
// instead of ~1 s under Lighthouse's mobile throttling; docs/benchmarks.md).
export const links: Route.LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet, precedence: "default" },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

// First, which route answered, for the access log (app/core/request-info.ts);
// then the rule for who may cache the answer (app/web/cache.server.ts);
// a 429 page for a client over a rate limit (app/web/rate-limited.server.ts);
// then the session cookie, read once and written back at most once whatever
// loaders and actions ran (app/web/session.server.ts).
export const middleware: Route.MiddlewareFunction[] = [recordRoute, cachePolicy, refuseRateLimited, sessionMiddleware];

// Every page shows how many items are in the cart, and the one-time notice
// an action left in the session. Both come from the signed cookie alone: no
// database query per page. Taking the notice removes it from the session, so
// it shows once. (The micro-cache keys pages by exactly these two:
// sessionPageVariant in app/web/session.server.ts.)
export function loader({ context }: Route.LoaderArgs) {
  const session = getSession(context);
  const { STORE_NAME, STORE_CONTACT_EMAIL, STORE_TIME_ZONE, STORE_CURRENCY } = context.get(configContext);
  return {
    cartCount: cartCount(session),
    notice: takeNotice(session),
    store: { name: STORE_NAME, contactEmail: STORE_CONTACT_EMAIL ?? null },
    timeZone: STORE_TIME_ZONE,
    currency: STORE_CURRENCY,
    // How its prices are written, so the browser formats them without an
    // Intl.NumberFormat of its own (app/core/money.ts says why).
    priceShape: priceShape(STORE_CURRENCY),
  };
}

// A refused form (an action's 4xx) keeps every loader's data by default, so
// an earlier "Added …" notice would stay on the page beside the new error.
// After any form post the root reads the session again: the notice has been
// taken, and it goes. Cheap: the root loader reads the cookie, not the database.
export function shouldRevalidate({ formMethod, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return (formMethod !== undefined && formMethod.toUpperCase() !== "GET") || defaultShouldRevalidate;
}

export function Layout({ children }: { children: React.ReactNode }) {
  // Undefined when the root loader itself failed and the error page renders.
  const rootData = useRouteLoaderData<typeof loader>("root");
  const cartCount = rootData?.cartCount ?? 0;
  const store = rootData?.store ?? { name: "Corner Store", contactEmail: null };
  setStoreTimeZone(rootData?.timeZone ?? "UTC");
  setStoreCurrency(rootData?.currency ?? "usd", rootData?.priceShape);
  const { pathname } = useLocation();
  const staffSide = onStaffSide(pathname);
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links nonce={nonce} />
      </head>
      {/* wrap-break-word: a word longer than the line (a customer's long name, an
          address) breaks instead of widening the page, at any text size. */}
      <body className="flex min-h-screen flex-col bg-stone-50 text-stone-900 antialiased wrap-break-word">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2"
        >
          Skip to content
        </a>
        {staffSide ? (
          // The staff side has its own header: the store it runs, the way back to
          // the shop, and (in its layout, app/staff/routes/layout.tsx) the staff
          // menu and account. No cart: staff do not shop here.
          <header className="border-b border-stone-800 bg-stone-900 text-white">
            <nav
              aria-label="Staff"
              className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-3 gap-y-1 whitespace-nowrap px-4 py-3"
            >
              <Link to={href("/admin")} className="font-semibold tracking-tight">
                {`${store.name} `}
                <span className="ml-1 rounded bg-white/15 px-1.5 py-0.5 text-xs font-medium">Staff</span>
              </Link>
              <Link to={href("/")} className="text-sm text-stone-200 underline hover:text-white">
                View the shop
              </Link>
            </nav>
            <NavigationProgress />
          </header>
        ) : (
          <header className="border-b border-stone-200 bg-white">
            {/* One line at every width: at 390 px the store's name and three links fit
                only with the smaller gaps (3 px to spare with the demo's name), and no
                link may wrap (tests/e2e/phone.spec.ts).
                With the browser's text much larger they no longer fit, and the links
                move to a second row rather than past the window's edge. */}
            <nav
              aria-label="Main"
              className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-2 gap-y-1 whitespace-nowrap px-4 py-3 sm:gap-x-4 sm:py-4"
            >
              <Link to={href("/")} className="text-base font-semibold tracking-tight sm:text-lg">
                {store.name}
              </Link>
              <ul className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm sm:gap-x-5">
                <li>
                  <NavLink to={href("/")} end className={navClass}>
                    Catalog
                  </NavLink>
                </li>
                <li>
                  <NavLink to={href("/orders")} end className={navClass}>
                    Find an order
                  </NavLink>
                </li>
                <li>
                  <NavLink to={href("/cart")} className={navClass}>
                    Cart
                    <span className="ml-1.5 inline-block min-w-6 rounded-full bg-stone-900 px-1.5 py-0.5 text-center text-xs font-semibold text-white">
                      {cartCount}
                      <span className="sr-only">{cartCount === 1 ? " item" : " items"}</span>
                    </span>
                  </NavLink>
                </li>
              </ul>
            </nav>
            <NavigationProgress />
          </header>
        )}
        <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-5 sm:py-8">
          <Notice message={rootData?.notice ?? null} />
          {children}
        </main>
        <footer className="border-t border-stone-200 py-6 text-center text-sm text-stone-600">
          <p>
            {`© ${store.name}`}
            {store.contactEmail && (
              <>
                {" · Questions about an order? "}
                <a href={`mailto:${store.contactEmail}`} className="underline">
                  {store.contactEmail}
                </a>
              </>
            )}
          </p>
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function navClass({ isActive }: { isActive: boolean }) {
  return isActive ? "font-semibold text-stone-900 underline" : "text-stone-700 hover:text-stone-900";
}

/** The one-time message an action left for this page, in a live region. */
function Notice({ message }: { message: string | null }) {
  const { pathname } = useLocation();
  return (
    <div role="status">
      {message && (
        <p className="mb-6 rounded border border-green-700 bg-green-50 px-4 py-3 text-sm text-green-900">
          {message}
          {pathname !== "/cart" && (
            <>
              {" "}
              <Link to={href("/cart")} className="font-medium underline">
                View cart
              </Link>
            </>
          )}
        </p>
      )}
    </div>
  );
}

/** A thin bar under the header while a page or form is loading. */
function NavigationProgress() {
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  return (
    <div role="progressbar" aria-label="Loading" aria-hidden={!busy} className="h-0.5 w-full overflow-hidden">
      <div
        className={`h-full bg-amber-600 transition-all duration-500 ${busy ? "w-2/3 opacity-100" : "w-0 opacity-0"}`}
      />
    </div>
  );
}

export default function App() {
  return <Outlet />;
}

function onStaffSide(pathname: string) {
  return pathname === "/admin" || pathname.startsWith("/admin/");
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  // React Router renders an error thrown by middleware here, at the root
  // (the nearest boundary above the first route with a loader), not in the
  // staff layout's boundary: a member of staff on an owner's page
  // (requireOwner's 403) lands here. Under the staff header Layout draws
  // for /admin, the page speaks for the staff side and leads back to the
  // dashboard, not to the catalog.
  const { pathname } = useLocation();
  if (onStaffSide(pathname)) return <StaffErrorPage error={error} />;
  return (
    <ErrorPage
      error={error}
      site="Corner Store"
      back={{ to: href("/"), label: "Back to the catalog" }}
      notFound={{ title: "Page not found", detail: "We could not find what you were looking for." }}
    />
  );
}
