/**
 * The page to show of `total` items, `size` to a page: the one asked for,
 * clamped to a real page (a stale or hand-typed `?page=999` shows the last
 * one, `?page=x` the first), with the row to start from.
 */
export function clampPage(requested: number | undefined, total: number, size: number) {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const page = Math.min(Math.max(1, Math.trunc(requested ?? 1) || 1), pageCount);
  return { page, pageCount, offset: (page - 1) * size };
}
