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
    ...timestamps,
  },
  (t) => [
    index("products_created_at_idx").on(t.createdAt),
    index("products_price_cents_idx").on(t.priceCents),
    check("products_price_cents_check", sql`price_cents >= 0`),
    check("products_stock_check", sql`stock >= 0`),
  ],
);

export const orderStatuses = ["placed", "shipped", "cancelled"] as const;

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
    status: text("status", { enum: orderStatuses }).notNull().default("placed"),
    totalCents: integer("total_cents").notNull(),
    ...timestamps,
  },
  (t) => [
    index("orders_created_at_idx").on(t.createdAt),
    check("orders_total_cents_check", sql`total_cents >= 0`),
    check("orders_status_check", sql`status in ('placed', 'shipped', 'cancelled')`),
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

export type Product = typeof products.$inferSelect;
export type NewProduct = typeof products.$inferInsert;
export type Order = typeof orders.$inferSelect;
export type OrderItem = typeof orderItems.$inferSelect;
