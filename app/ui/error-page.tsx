import { href, isRouteErrorResponse, Link } from "react-router";

/**
 * The one error page, for every ErrorBoundary of both sides. A response the
 * app threw on purpose (`data("There is no such order.", { status: 404 })`)
 * shows its text; anything else, a bug, shows nothing of itself: no message,
 * no stack.
 */
export function ErrorPage({
  error,
  site,
  back,
  notFound,
  title: fixedTitle,
}: {
  error: unknown;
  /** The end of the document's title: "Corner Store", "Store admin". */
  site: string;
  back: { to: string; label: string };
  /** What a 404 says when the response has no text of its own. */
  notFound: { title: string; detail: string };
  /** A heading that says more than the status, for a page with one way to fail. */
  title?: string;
}) {
  let title = "Something went wrong";
  let detail = "Please try again in a moment.";
  if (isRouteErrorResponse(error)) {
    // Words of our own, never `statusText`: the server's and the browser's
    // differ (a 413 hydrates as "Internal Server Error"), and the title would change.
    const titles: Record<number, string> = {
      400: "That did not work",
      401: "Please sign in",
      403: "Not allowed",
      404: notFound.title,
      405: "That cannot be done here",
      409: "That changed in the meantime",
      413: "That is too large",
      415: "That form could not be read",
      429: "Too many requests",
      503: "Not available right now",
    };
    title = titles[error.status] ?? (error.status < 500 ? "That did not work" : title);
    if (typeof error.data === "string" && error.data) detail = error.data;
    else if (error.status === 404) detail = notFound.detail;
  }
  const heading = fixedTitle ?? title;
  return (
    <section className="mx-auto max-w-xl py-16 text-center">
      <title>{`${heading} · ${site}`}</title>
      <h1 className="text-3xl font-semibold">{heading}</h1>
      <p className="mt-4 text-stone-700">{detail}</p>
      <Link to={back.to} className="mt-8 inline-block rounded bg-stone-900 px-4 py-2 text-white hover:bg-stone-700">
        {back.label}
      </Link>
    </section>
  );
}

/** The staff side's error page: under /admin, back to the dashboard. */
export function StaffErrorPage({ error, title }: { error: unknown; title?: string }) {
  return (
    <ErrorPage
      error={error}
      title={title}
      site="Store admin"
      back={title ? { to: href("/admin/sign-in"), label: "Go to sign-in" } : { to: href("/admin"), label: "Back to the dashboard" }}
      notFound={{ title: "Not found", detail: "We could not find that." }}
    />
  );
}
