-- Reviewed: one new table, the stock ledger. Its foreign keys are RESTRICT:
-- a product, order or staff account named in the ledger cannot be deleted
-- by accident. Instant on any size of store; 0007 fills it.
CREATE TABLE `stock_movements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`product_id` integer NOT NULL,
	`delta` integer NOT NULL,
	`reason` text NOT NULL,
	`order_id` integer,
	`staff_id` integer,
	`note` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE restrict,
	CONSTRAINT "stock_movements_delta_check" CHECK(delta <> 0),
	CONSTRAINT "stock_movements_reason_check" CHECK(reason in ('initial', 'sale', 'cancellation', 'adjustment')),
	CONSTRAINT "stock_movements_order_check" CHECK((reason in ('sale', 'cancellation')) = (order_id IS NOT NULL)),
	CONSTRAINT "stock_movements_note_check" CHECK(reason <> 'adjustment' OR note <> '')
);
--> statement-breakpoint
CREATE INDEX `stock_movements_product_id_idx` ON `stock_movements` (`product_id`,`id`);--> statement-breakpoint
CREATE INDEX `stock_movements_order_id_idx` ON `stock_movements` (`order_id`);--> statement-breakpoint
CREATE INDEX `stock_movements_staff_id_idx` ON `stock_movements` (`staff_id`);