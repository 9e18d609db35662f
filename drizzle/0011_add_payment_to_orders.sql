-- Reviewed: payment joins orders (docs/payments.md). A new table, and seven
-- columns added with ALTER TABLE: the two NOT NULL ones carry a constant
-- default (manual, usd), which is what every order placed before payment
-- existed was, so no backfill is needed and SQLite writes no row: it is
-- instant whatever the number of orders. 0012 adds the CHECKs.
CREATE TABLE `payment_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`order_id` integer,
	`outcome` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE INDEX `payment_events_order_id_idx` ON `payment_events` (`order_id`);--> statement-breakpoint
ALTER TABLE `orders` ADD `payment_provider` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `currency` text DEFAULT 'usd' NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `payment_reference` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `payment_intent` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `hold_expires_at` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `paid_at` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `payment_issue` text;--> statement-breakpoint
CREATE INDEX `orders_hold_expires_at_idx` ON `orders` (`hold_expires_at`);