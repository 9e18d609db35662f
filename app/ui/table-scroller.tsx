/**
 * The one way a wide staff table fits a phone: the page never scrolls
 * sideways; the table scrolls inside this region instead. The region is
 * named (screen readers announce it) and focusable (a keyboard scrolls it
 * with the arrow keys), a line above it says so on narrow screens, and the
 * table's first column (the order number, the product, the email) stays in
 * place while the others scroll under it (`.table-scroller` in app.css).
 * `relative`: an absolutely placed child (a screen reader's `sr-only` text)
 * is then clipped by the region too, instead of widening the page.
 */
export function TableScroller({
  label,
  children,
  className = "mt-4",
  hint = true,
}: {
  label: string;
  children: React.ReactNode;
  className?: string;
  /** The line above it on narrow screens; off for a table that fits a phone unless the text is enlarged. */
  hint?: boolean;
}) {
  return (
    <div className={className}>
      {hint && (
        <p aria-hidden="true" className="mb-1 text-xs text-stone-600 sm:hidden">
          Scroll sideways for more columns →
        </p>
      )}
      <div role="region" aria-label={label} tabIndex={0} className="table-scroller relative overflow-x-auto">
        {children}
      </div>
    </div>
  );
}
