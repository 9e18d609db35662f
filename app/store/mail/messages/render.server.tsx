// Turns an outbox row into the message to send: its recipient, subject, HTML
// and plain text, read from the database at send time. The HTML and the text
// come from the same components (parts.tsx) rendered twice by
// react-dom/server; React escapes every value in both, and the text version's
// markup and entities are then taken out.
import { href } from "react-router";
import { eq } from "drizzle-orm";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { AppDatabase } from "#app/db/connection.server.ts";
import { orders, staff, type OutboxKind } from "#app/db/schema.ts";
import { KnownError } from "#app/core/errors.ts";
import { SIGN_IN_LINK_TTL_MS } from "#app/core/limits.ts";
import { FormatContext, StoreNameContext } from "#app/store/mail/messages/parts.tsx";
import { OrderMessage, orderSubject } from "#app/store/mail/messages/order.tsx";
import { StaffMessage, staffSubject } from "#app/store/mail/messages/staff.tsx";
import type { OrderMessageKind, StaffMessageKind } from "#app/store/mail/outbox.server.ts";
import { orderSummary } from "#app/store/order-summary.server.ts";

export type RenderedMessage = { to: string; subject: string; html: string; text: string };

/** What an outbox row names to render. */
export type MessageSubject = { kind: OutboxKind; orderId: number | null; staffId: number | null; link: string | null };

/** The message cannot be made (its link was replaced): sending again would not help. */
export class UnrenderableMessage extends KnownError {
  override name = "UnrenderableMessage";
}

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&amp;": "&" };

export function renderBoth(element: ReactElement, storeName: string): { html: string; text: string } {
  element = <StoreNameContext value={storeName}>{element}</StoreNameContext>;
  const html = `<!doctype html>${renderToStaticMarkup(<FormatContext value="html">{element}</FormatContext>)}`;
  // In text mode the parts render only text (no elements), which React
  // escapes for HTML: undo exactly React's five escapes.
  const text = renderToStaticMarkup(<FormatContext value="text">{element}</FormatContext>)
    .replace(/&(lt|gt|quot|#x27|amp);/g, (entity) => ENTITIES[entity]!)
    .trimEnd();
  return { html, text: `${text}\n` };
}

/** `store` is PUBLIC_URL, which the order link starts with, and STORE_NAME. */
export function renderMessage(db: AppDatabase, subject: MessageSubject, store: { origin: string | undefined; name: string }): RenderedMessage {
  const origin = store.origin;
  if (subject.orderId !== null) {
    const found = orderSummary(db, eq(orders.id, subject.orderId), { publicId: orders.publicId });
    if (!found) throw new UnrenderableMessage("the order is gone");
    const { items, ...order } = found;
    const kind = subject.kind as OrderMessageKind;
    const url = `${origin ?? ""}${href("/orders/:publicId", { publicId: order.publicId })}`;
    return {
      to: order.email,
      subject: orderSubject(kind, order.number),
      ...renderBoth(<OrderMessage kind={kind} order={{ ...order, items, url }} />, store.name),
    };
  }
  const account = db.select({ email: staff.email }).from(staff).where(eq(staff.id, subject.staffId!)).get();
  if (!account) throw new UnrenderableMessage("the staff account is gone");
  if (subject.link === null) throw new UnrenderableMessage("a newer link replaced this one");
  const kind = subject.kind as StaffMessageKind;
  return {
    to: account.email,
    subject: staffSubject(kind, store.name),
    ...renderBoth(<StaffMessage kind={kind} link={subject.link} hours={SIGN_IN_LINK_TTL_MS / 3_600_000} />, store.name),
  };
}
