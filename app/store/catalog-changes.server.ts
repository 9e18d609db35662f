// "These products changed": said by the code that changes them, heard by
// whatever keeps copies of pages that show them (the server's micro-cache,
// app/web/micro-cache.server.ts). The business functions say it
// themselves, like they write the stock ledger themselves (decision 019), so
// no caller can forget: a product saved, archived or deleted by staff, stock
// adjusted or returned, an order placed.
//
// A named channel of node:diagnostics_channel is one object per process
// whatever module copy asks for it (server.ts's and the app build's), and
// publishing with nobody listening costs nothing: the CLI and the tests call
// these functions without a cache in the process.
import { channel } from "node:diagnostics_channel";

export type CatalogChange = {
  /** Products whose own page (name, price, stock…) changed. */
  productIds: readonly number[];
  /**
   * Whether lists may have changed too: which products the catalog and
   * search show, their order, their count, a card's name, price or "Sold
   * out". A sale that leaves stock above zero changes no list.
   */
  lists: boolean;
};

// The names pages are cached under (a `Cache-Tag` header, which some CDNs
// purge by): every catalog and search page has the lists' tag, a product's
// page its product's.
export const LISTS_TAG = "catalog";
export const productTag = (id: number) => `product-${id}`;

/** The tags a change makes stale. */
export function tagsFor(change: CatalogChange): string[] {
  const tags = change.productIds.map(productTag);
  if (change.lists) tags.push(LISTS_TAG);
  return tags;
}

const changes = channel("corner-store:catalog-changed");

/**
 * Says that products changed. Call it once the change is made: listeners
 * run synchronously, and better-sqlite3 transactions are synchronous too, so
 * inside one nothing can read the data between this call and the commit.
 */
export function catalogChanged(change: CatalogChange) {
  if (changes.hasSubscribers) changes.publish(change);
}

/** Calls `listener` for every change; returns what stops it. */
export function onCatalogChange(listener: (change: CatalogChange) => void): () => void {
  const subscriber = (message: unknown) => listener(message as CatalogChange);
  changes.subscribe(subscriber);
  return () => void changes.unsubscribe(subscriber);
}
