import { Link } from "react-router";

/** Previous/next links that keep every other query parameter in the URL. */
export function Pagination({
  page,
  pageCount,
  searchParams,
}: {
  page: number;
  pageCount: number;
  searchParams: URLSearchParams;
}) {
  if (pageCount <= 1) return null;
  const href = (p: number) => {
    const params = new URLSearchParams(searchParams);
    if (p === 1) params.delete("page");
    else params.set("page", String(p));
    const query = params.toString();
    return query ? `?${query}` : ".";
  };
  const linkClass = "rounded border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-100";
  return (
    <nav aria-label="Pagination" className="mt-10 flex flex-wrap items-center justify-center gap-x-4 gap-y-2 whitespace-nowrap text-sm">
      {page > 1 ? (
        <Link to={href(page - 1)} rel="prev" className={linkClass}>
          Previous
        </Link>
      ) : (
        <span className="px-3 py-1.5 text-stone-500">Previous</span>
      )}
      <span aria-current="page">
        {`Page ${page} of ${pageCount}`}
      </span>
      {page < pageCount ? (
        <Link to={href(page + 1)} rel="next" className={linkClass}>
          Next
        </Link>
      ) : (
        <span className="px-3 py-1.5 text-stone-500">Next</span>
      )}
    </nav>
  );
}
