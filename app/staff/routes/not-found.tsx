import { data, isRouteErrorResponse, Link } from "react-router";

// Any /admin address no other route takes. It sits inside the staff layout,
// so a signed-out visitor is sent to sign in first (nobody learns which staff
// pages exist), and staff get a 404 inside the staff header and menu rather
// than the shop's error page.
export function loader() {
  throw data("There is no staff page at this address.", { status: 404 });
}

export default function NotFound() {
  return null;
}

export function ErrorBoundary({ error }: { error: unknown }) {
  const detail = isRouteErrorResponse(error) && typeof error.data === "string" ? error.data : "We could not find that.";
  return (
    <section className="mx-auto max-w-xl py-12 text-center">
      <title>Not found · Store admin</title>
      <h1 className="text-3xl font-semibold">Not found</h1>
      <p className="mt-4 text-stone-700">{detail}</p>
      <Link to="/admin" className="mt-8 inline-block rounded bg-stone-900 px-4 py-2 text-white hover:bg-stone-700">
        Back to the dashboard
      </Link>
    </section>
  );
}
