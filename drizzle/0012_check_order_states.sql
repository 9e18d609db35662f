-- reviewed rebuild orders: order_items (ON DELETE CASCADE), stock_movements
-- and payment_events reference orders, so this is safe only through the
-- project's runner (app/db/migrator.server.ts): it turns foreign keys off
-- before its transaction and checks them before COMMIT; drizzle-orm's
-- migrate() would delete every order's items here. SQLite cannot change a
-- CHECK without copying the table: the order states of payment, the two
-- providers, and a hold on every order awaiting payment. Existing rows are
-- placed, shipped or cancelled with no hold, so every one passes.
-- Measured on 100,000 orders (250,000 items): 0.6 s copying, 1.4 s with the
-- runner's foreign_key_check, with the write lock held: checkouts wait that
-- long. 0011 took 35 ms on the same store.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`public_id` text NOT NULL,
	`number` text NOT NULL,
	`checkout_token` text NOT NULL,
	`email` text NOT NULL,
	`customer_name` text NOT NULL,
	`address_line1` text NOT NULL,
	`address_line2` text DEFAULT '' NOT NULL,
	`city` text NOT NULL,
	`postal_code` text NOT NULL,
	`country` text NOT NULL,
	`status` text DEFAULT 'placed' NOT NULL,
	`total_cents` integer NOT NULL,
	`payment_provider` text DEFAULT 'manual' NOT NULL,
	`currency` text DEFAULT 'usd' NOT NULL,
	`payment_reference` text,
	`payment_intent` text,
	`hold_expires_at` integer,
	`paid_at` integer,
	`payment_issue` text,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	CONSTRAINT "orders_total_cents_check" CHECK(total_cents >= 0),
	CONSTRAINT "orders_status_check" CHECK(status in ('placed', 'awaiting_payment', 'paid', 'shipped', 'cancelled', 'refunded')),
	CONSTRAINT "orders_payment_provider_check" CHECK(payment_provider in ('manual', 'stripe')),
	CONSTRAINT "orders_hold_check" CHECK((status = 'awaiting_payment') <= (hold_expires_at IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_orders`("id", "public_id", "number", "checkout_token", "email", "customer_name", "address_line1", "address_line2", "city", "postal_code", "country", "status", "total_cents", "payment_provider", "currency", "payment_reference", "payment_intent", "hold_expires_at", "paid_at", "payment_issue", "created_at", "updated_at") SELECT "id", "public_id", "number", "checkout_token", "email", "customer_name", "address_line1", "address_line2", "city", "postal_code", "country", "status", "total_cents", "payment_provider", "currency", "payment_reference", "payment_intent", "hold_expires_at", "paid_at", "payment_issue", "created_at", "updated_at" FROM `orders`;--> statement-breakpoint
-- Keep the old AUTOINCREMENT counter: ids of deleted orders are never reused.
DELETE FROM sqlite_sequence WHERE name = '__new_orders';--> statement-breakpoint
UPDATE sqlite_sequence SET name = '__new_orders' WHERE name = 'orders';--> statement-breakpoint
DROP TABLE `orders`;--> statement-breakpoint
ALTER TABLE `__new_orders` RENAME TO `orders`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `orders_public_id_unique` ON `orders` (`public_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_number_unique` ON `orders` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `orders_checkout_token_unique` ON `orders` (`checkout_token`);--> statement-breakpoint
CREATE INDEX `orders_created_at_idx` ON `orders` (`created_at`);--> statement-breakpoint
CREATE INDEX `orders_hold_expires_at_idx` ON `orders` (`hold_expires_at`);--> statement-breakpoint
CREATE INDEX `orders_status_created_at_idx` ON `orders` (`status`,`created_at`);