// "These products changed": said by the business functions themselves, as
// they write the stock ledger themselves (decision 019), so no caller can
// forget; heard by the micro-cache. A named node:diagnostics_channel is one
// object per process whatever module copy asks for it (server.ts's and the
// app build's), and publishing with nobody listening costs nothing.
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

export const LISTS_TAG = "catalog";
export const productTag = (id: number) => `product-${id}`;

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

export function onCatalogChange(listener: (change: CatalogChange) => void): () => void {
  const subscriber = (message: unknown) => listener(message as CatalogChange);
  changes.subscribe(subscriber);
  return () => void changes.unsubscribe(subscriber);
}
