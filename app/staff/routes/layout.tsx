import { Form, href, NavLink, Outlet } from "react-router";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { requireStaff, signedInStaff } from "#app/staff/staff-auth.server.ts";
import { clearNotice } from "#app/staff/staff-session.server.ts";
import { StaffErrorPage } from "#app/ui/error-page.tsx";
import { NoticeText } from "#app/ui/kit.tsx";
import type { Route } from "./+types/layout";

// Every route nested here runs this first, for loaders and actions alike:
// no session, no page (app/staff/staff-auth.server.ts).
export const middleware: Route.MiddlewareFunction[] = [requireStaff];

export function loader({ context }: Route.LoaderArgs) {
  const { sessionId, staff, notice } = signedInStaff(context);
  // The one-time message an action left ("Product saved."): shown once.
  if (notice) clearNotice(context.get(databaseContext), sessionId);
  return { staff: { email: staff.email, role: staff.role }, notice };
}

export default function AdminLayout({ loaderData }: Route.ComponentProps) {
  const { staff, notice } = loaderData;
  return (
    <StaffChrome staff={staff}>
      <div role="status">
        {notice && (
          <p className="mb-6 rounded border border-green-700 bg-green-50 px-4 py-3 text-sm text-green-900">
            <NoticeText notice={notice} />
          </p>
        )}
      </div>
      <Outlet />
    </StaffChrome>
  );
}

/** The menu and account above every staff page, and above its error page. */
function StaffChrome({ staff, children }: { staff: { email: string; role: string }; children: React.ReactNode }) {
  return (
    <div>
      {/* Every staff page asks search engines not to index it; React puts the tag in the head. */}
      <meta name="robots" content="noindex" />
      <AdminNav email={staff.email} owner={staff.role === "owner"} />
      {children}
    </div>
  );
}

function navClass({ isActive }: { isActive: boolean }) {
  return isActive ? "font-semibold text-stone-900 underline" : "text-stone-700 hover:text-stone-900 hover:underline";
}

function AdminNav({ email, owner }: { email: string; owner: boolean }) {
  const signingOut = useIsPending({ formAction: href("/admin/sign-out") });
  return (
    <nav aria-label="Store admin" className="mb-8 flex flex-wrap items-center justify-between gap-4 rounded-lg border border-stone-200 bg-white px-4 py-3">
      <ul className="flex flex-wrap items-center gap-5 text-sm">
        <li>
          <NavLink to={href("/admin")} end className={navClass}>
            Dashboard
          </NavLink>
        </li>
        <li>
          <NavLink to={href("/admin/orders")} className={navClass}>
            Orders
          </NavLink>
        </li>
        <li>
          <NavLink to={href("/admin/products")} className={navClass}>
            Products
          </NavLink>
        </li>
        {owner && (
          <li>
            <NavLink to={href("/admin/staff")} className={navClass}>
              Staff
            </NavLink>
          </li>
        )}
      </ul>
      <div className="flex flex-wrap items-center gap-4 text-sm">
        {/* An address is one long word: with large text it wraps rather than widen the page. */}
        <NavLink to={href("/admin/account")} className={(state) => `min-w-0 wrap-anywhere ${navClass(state)}`}>
          {`${email}${owner ? " (owner)" : ""}`}
        </NavLink>
        <Form method="post" action={href("/admin/sign-out")}>
          <button type="submit" disabled={signingOut} className="rounded border border-stone-400 px-3 py-1 hover:bg-stone-100 disabled:opacity-60">
            {signingOut ? "Signing out…" : "Sign out"}
          </button>
        </Form>
      </div>
    </nav>
  );
}

// A page's own error lands here: no such order or product (a mistyped id,
// a link to a product since deleted), a refused post. This layout's loader
// has run, so the error page keeps the menu, as the catch-all 404 does,
// and staff go on from where they are. Without its data (the layout itself
// failed) there is no one to show a menu to: the error page alone.
export function ErrorBoundary({ error, loaderData }: Route.ErrorBoundaryProps) {
  if (!loaderData) return <StaffErrorPage error={error} />;
  return (
    <StaffChrome staff={loaderData.staff}>
      <StaffErrorPage error={error} />
    </StaffChrome>
  );
}
