// The emails a shopper gets about an order: the same facts each time (the
// number, the lines, the total, where it goes, the link to its page), under
// a title that says what happened.
import type { OrderMessageKind } from "#app/store/mail/outbox.server.ts";
import { Action, Address, Code, Heading, Layout, Lines, Paragraph, type Line, type ShipTo } from "#app/store/mail/messages/parts.tsx";

export type OrderForMail = ShipTo & { number: string; totalCents: number; currency: string; items: Line[]; url: string };

const wording: Record<OrderMessageKind, { subject: (n: string) => string; title: string; lead: string }> = {
  order_placed: {
    subject: (n) => `Your order ${n}`,
    title: "Thank you for your order",
    lead: "We have your order and will let you know when it ships.",
  },
  order_paid: {
    subject: (n) => `We have your payment for order ${n}`,
    title: "Thank you for your payment",
    lead: "Your payment came in. We will let you know when your order ships.",
  },
  order_shipped: {
    subject: (n) => `Your order ${n} has shipped`,
    title: "Your order is on its way",
    lead: "Everything below has left us and is on its way to you.",
  },
  order_cancelled: {
    subject: (n) => `Your order ${n} was cancelled`,
    title: "Your order was cancelled",
    lead: "This order was cancelled and will not be sent. If you did not expect this, please get in touch.",
  },
  order_refunded: {
    subject: (n) => `Your order ${n} was refunded`,
    title: "Your order was refunded",
    lead: "We have refunded this order. The money reaches your account within a few days.",
  },
};

export function orderSubject(kind: OrderMessageKind, number: string): string {
  return wording[kind].subject(number);
}

export function OrderMessage({ kind, order }: { kind: OrderMessageKind; order: OrderForMail }) {
  const { title, lead } = wording[kind];
  return (
    <Layout title={title}>
      <Paragraph>
        Order <Code>{order.number}</Code>
        {`. ${lead}`}
      </Paragraph>
      <Heading>Items</Heading>
      <Lines lines={order.items} totalCents={order.totalCents} currency={order.currency} />
      <Heading>Shipping to</Heading>
      <Address to={order} />
      <Action href={order.url}>See your order</Action>
    </Layout>
  );
}
