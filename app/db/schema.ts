import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Money is stored as integer cents and time as unix seconds: both are exact,
// sortable and cheap to compare in SQL.
//
// Every change to this file becomes a reviewed, committed SQL migration:
//   npm run db:generate -- --name <what_it_does>
// Never `drizzle-kit push` against a database that holds data you care about.

// CHECK constraints name bare columns (not `${t.col}`, which renders as
// "table"."col"): drizzle-kit copies them verbatim into the `__new_<table>` of
// a table rebuild, where a table-qualified name would not resolve.
const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp" })
    .notNull()
    .default(sql`(unixepoch())`),
  updatedAt: integer("updated_at", { mode: "timestamp" })
    .notNull()
    .default(sql`(unixepoch())`)
    .$onUpdate(() => new Date()),
};

export const products = sqliteTable(
  "products",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    priceCents: integer("price_cents").notNull(),
    stock: integer("stock").notNull().default(0),
    image: text("image").notNull(),
    // Stock-keeping unit: unique and never empty. Added in two phases
    // (docs/tutorial): NOT NULL DEFAULT '', a backfill, then this.
    sku: text("sku").notNull().unique(),
    ...timestamps,
    // Set when staff archive the product: the catalog and search hide it and
    // it cannot be bought, while carts and past orders still show it. A
    // product that has been sold is archived, never deleted.
    archivedAt: integer("archived_at", { mode: "timestamp" }),
  },
  (t) => [
    // The catalog lists products for sale (archived_at IS NULL), newest or by
    // price, a page at a time: archived_at first means a page reads only the
    // index entries of products for sale, in order, even deep into the list,
    // and the products staff archived are counted from the index alone.
    index("products_for_sale_newest_idx").on(t.archivedAt, t.createdAt),
    index("products_for_sale_price_idx").on(t.archivedAt, t.priceCents),
    check("products_price_cents_check", sql`price_cents >= 0`),
    check("products_stock_check", sql`stock >= 0`),
    check("products_sku_check", sql`sku <> ''`),
  ],
);

// The order's life (app/store/order-states.server.ts moves it, and only that):
//   placed            waiting for a payment staff record by hand (provider manual)
//   awaiting_payment  its stock is held while the shopper pays on Stripe's page,
//                     until hold_expires_at
//   paid → shipped;  placed/awaiting_payment/paid → cancelled;  paid/shipped → refunded
export const orderStatuses = ["placed", "awaiting_payment", "paid", "shipped", "cancelled", "refunded"] as const;
export const paymentProviders = ["manual", "stripe"] as const;

export const orders = sqliteTable(
  "orders",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // Capability URL for the confirmation page: 128 random bits, never shown
    // anywhere but to the shopper who placed the order.
    publicId: text("public_id").notNull().unique(),
    // What the shopper quotes (with their email) to look an order up.
    number: text("number").notNull().unique(),
    // One-time token from the checkout form: a resubmission finds this order
    // instead of placing a second one.
    checkoutToken: text("checkout_token").notNull().unique(),
    email: text("email").notNull(),
    customerName: text("customer_name").notNull(),
    addressLine1: text("address_line1").notNull(),
    addressLine2: text("address_line2").notNull().default(""),
    city: text("city").notNull(),
    postalCode: text("postal_code").notNull(),
    country: text("country").notNull(),
    // Optional at checkout, for the courier: "" when not given (as address_line2).
    phone: text("phone").notNull().default(""),
    status: text("status", { enum: orderStatuses }).notNull().default("placed"),
    totalCents: integer("total_cents").notNull(),
    // Payment (docs/payments.md). Orders placed before payment existed were
    // manual orders in dollars, which is what the defaults fill in.
    paymentProvider: text("payment_provider", { enum: paymentProviders }).notNull().default("manual"),
    // ISO 4217, lower case as Stripe writes it; total_cents is in its minor unit.
    currency: text("currency").notNull().default("usd"),
    // The provider's reference: a Stripe Checkout Session id (cs_…).
    paymentReference: text("payment_reference"),
    // Stripe's PaymentIntent (pi_…), what a refund names.
    paymentIntent: text("payment_intent"),
    // An awaiting_payment order's stock is held until then; the sweeper
    // cancels it afterwards if no payment came.
    holdExpiresAt: integer("hold_expires_at", { mode: "timestamp" }),
    paidAt: integer("paid_at", { mode: "timestamp" }),
    // Set when money and order disagree (a payment for another amount or
    // currency, a payment for a cancelled order): staff must look.
    paymentIssue: text("payment_issue"),
    ...timestamps,
  },
  (t) => [
    index("orders_created_at_idx").on(t.createdAt),
    // The sweeper's question: which holds have run out?
    index("orders_hold_expires_at_idx").on(t.holdExpiresAt),
    // The staff's order list: one status, newest first.
    index("orders_status_created_at_idx").on(t.status, t.createdAt),
    // Stripe's refund events name the PaymentIntent: which order is it?
    index("orders_payment_intent_idx").on(t.paymentIntent),
    check("orders_total_cents_check", sql`total_cents >= 0`),
    check(
      "orders_status_check",
      sql`status in ('placed', 'awaiting_payment', 'paid', 'shipped', 'cancelled', 'refunded')`,
    ),
    check("orders_payment_provider_check", sql`payment_provider in ('manual', 'stripe')`),
    // Only a held order has a hold to expire.
    check("orders_hold_check", sql`(status = 'awaiting_payment') <= (hold_expires_at IS NOT NULL)`),
  ],
);

export const orderItems = sqliteTable(
  "order_items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    // RESTRICT: a product that has been sold cannot be deleted, so order
    // history never loses the row it points at.
    productId: integer("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "restrict" }),
    // Name and price as they were at purchase time; the catalog may change.
    productName: text("product_name").notNull(),
    unitPriceCents: integer("unit_price_cents").notNull(),
    quantity: integer("quantity").notNull(),
  },
  (t) => [
    index("order_items_order_id_idx").on(t.orderId),
    index("order_items_product_id_idx").on(t.productId),
    check("order_items_quantity_check", sql`quantity > 0`),
    check("order_items_unit_price_cents_check", sql`unit_price_cents >= 0`),
  ],
);

// Staff: the people who run the store under /admin (docs/admin.md). An
// account starts without a password: its owner sets one through a one-time
// sign-in link. Emails are stored lower-cased, so the unique index is
// case-insensitive in effect.
export const staffRoles = ["owner", "staff"] as const;

export const staff = sqliteTable(
  "staff",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email").notNull().unique(),
    role: text("role", { enum: staffRoles }).notNull(),
    // Argon2id in PHC format ($argon2id$v=19$m=…,t=…,p=…$salt$hash); NULL
    // until the person sets one. No default password, ever.
    passwordHash: text("password_hash"),
    // Disabled accounts cannot sign in; their sessions are deleted.
    disabledAt: integer("disabled_at", { mode: "timestamp" }),
    ...timestamps,
  },
  () => [
    check("staff_role_check", sql`role in ('owner', 'staff')`),
    check("staff_email_check", sql`email = lower(email) AND email <> ''`),
  ],
);

// Signed-in staff. The cookie holds a random token; only its SHA-256 is
// stored, so a copy of the database (a backup) signs nobody in.
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    staffId: integer("staff_id")
      .notNull()
      .references(() => staff.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp" })
      .notNull()
      .default(sql`(unixepoch())`),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp" }).notNull(),
    // A one-time message for the next admin page ("Product saved.").
    notice: text("notice"),
  },
  (t) => [index("sessions_staff_id_idx").on(t.staffId), index("sessions_expires_at_idx").on(t.expiresAt)],
);

// One-time links that let a person set their password (a new account, or a
// reset issued by the owner or the CLI). Stored hashed, like sessions.
export const signInLinks = sqliteTable(
  "sign_in_links",
  {
    id: text("id").primaryKey(),
    staffId: integer("staff_id")
      .notNull()
      .references(() => staff.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp" })
      .notNull()
      .default(sql`(unixepoch())`),
    expiresAt: integer("expires_at", { mode: "timestamp" }).notNull(),
  },
  (t) => [index("sign_in_links_staff_id_idx").on(t.staffId)],
);

// The stock ledger: every change to products.stock, with why and who. The
// code writes a movement in the same transaction as the change it records,
// so for every product stock = sum(delta) (docs/admin.md).
//   initial       opening balance: a new product's stock, or the backfill
//   sale          checkout (order_id: the order)
//   cancellation  a cancelled order's items back on the shelf (order_id)
//   adjustment    a correction by staff, with a note saying why
export const stockReasons = ["initial", "sale", "cancellation", "adjustment"] as const;

export const stockMovements = sqliteTable(
  "stock_movements",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // RESTRICT everywhere: history keeps the rows it points at.
    productId: integer("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "restrict" }),
    delta: integer("delta").notNull(),
    reason: text("reason", { enum: stockReasons }).notNull(),
    orderId: integer("order_id").references(() => orders.id, { onDelete: "restrict" }),
    staffId: integer("staff_id").references(() => staff.id, { onDelete: "restrict" }),
    note: text("note").notNull().default(""),
    createdAt: integer("created_at", { mode: "timestamp" })
      .notNull()
      .default(sql`(unixepoch())`),
  },
  (t) => [
    // A product's history, newest first, and its sum.
    index("stock_movements_product_id_idx").on(t.productId, t.id),
    index("stock_movements_order_id_idx").on(t.orderId),
    index("stock_movements_staff_id_idx").on(t.staffId),
    check("stock_movements_delta_check", sql`delta <> 0`),
    check("stock_movements_reason_check", sql`reason in ('initial', 'sale', 'cancellation', 'adjustment')`),
    check("stock_movements_order_check", sql`(reason in ('sale', 'cancellation')) = (order_id IS NOT NULL)`),
    check("stock_movements_note_check", sql`reason <> 'adjustment' OR note <> ''`),
  ],
);

// Every provider event the store has applied, keyed by the provider's event
// id, written in the same transaction as the event's effect: a second
// delivery finds its row and changes nothing (decision 035).
export const paymentEvents = sqliteTable(
  "payment_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    orderId: integer("order_id").references(() => orders.id, { onDelete: "restrict" }),
    // What applying it did: "paid", "ignored: already paid", …
    outcome: text("outcome").notNull(),
    createdAt: integer("created_at", { mode: "timestamp" })
      .notNull()
      .default(sql`(unixepoch())`),
  },
  (t) => [
    index("payment_events_order_id_idx").on(t.orderId),
    // The sweep's pruning: the rows older than PAYMENT_EVENTS_KEEP_DAYS.
    index("payment_events_created_at_idx").on(t.createdAt),
  ],
);

export type Product = typeof products.$inferSelect;
export type NewProduct = typeof products.$inferInsert;
export type Order = typeof orders.$inferSelect;
export type OrderItem = typeof orderItems.$inferSelect;
export type StaffRole = (typeof staffRoles)[number];
export type StockReason = (typeof stockReasons)[number];

// The outbox: every email the store sends, written in the same transaction
// as the change that causes it, so a message exists exactly when that change
// committed. A row names what the message is about; the text is rendered at
// send time (docs/decisions/036-outbox.md). Times the sender schedules by are
// unix milliseconds: a retry may be due in less than a second.
export const outboxKinds = [
  "order_placed",
  "order_paid",
  "order_shipped",
  "order_cancelled",
  "order_refunded",
  "staff_invitation",
  "staff_sign_in_link",
] as const;
export const outboxStatuses = ["queued", "sent", "failed"] as const;

export const outboxMessages = sqliteTable(
  "outbox_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: outboxKinds }).notNull(),
    orderId: integer("order_id").references(() => orders.id, { onDelete: "restrict" }),
    staffId: integer("staff_id").references(() => staff.id, { onDelete: "cascade" }),
    // A staff message's one-time link: the only copy of its token, kept
    // until the message is sent or given up on, then erased.
    link: text("link"),
    // <random@host>: the same on every attempt, so a copy resent after a
    // crash folds into one message in mail clients.
    messageId: text("message_id").notNull().unique(),
    status: text("status", { enum: outboxStatuses }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    dueAtMs: integer("due_at_ms").notNull(),
    // Who holds the row and until when: a process that died lets go when
    // its lease runs out.
    leaseOwner: text("lease_owner"),
    leaseUntilMs: integer("lease_until_ms"),
    // The last failure, for staff: the SMTP reply with addresses taken out.
    lastError: text("last_error"),
    createdAtMs: integer("created_at_ms").notNull(),
    // When this round of attempts began (the row's creation, or staff's
    // "Send again"): temporary failures are retried for a bounded time from it.
    queuedAtMs: integer("queued_at_ms").notNull(),
    sentAtMs: integer("sent_at_ms"),
  },
  (t) => [
    // The sender's question: queued rows, soonest due first.
    index("outbox_messages_status_due_idx").on(t.status, t.dueAtMs),
    index("outbox_messages_order_id_idx").on(t.orderId),
    index("outbox_messages_staff_id_idx").on(t.staffId),
    check("outbox_messages_kind_check", sql`kind in ('order_placed', 'order_paid', 'order_shipped', 'order_cancelled', 'order_refunded', 'staff_invitation', 'staff_sign_in_link')`),
    check("outbox_messages_status_check", sql`status in ('queued', 'sent', 'failed')`),
    check("outbox_messages_subject_check", sql`(order_id IS NOT NULL) + (staff_id IS NOT NULL) = 1`),
  ],
);

export type OutboxKind = (typeof outboxKinds)[number];
export type OutboxStatus = (typeof outboxStatuses)[number];
