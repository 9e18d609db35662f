-- reviewed rebuild products: order_items references products, so this is safe
-- only through the project's runner (app/db/migrator.server.ts): it turns
-- foreign keys off before its transaction and checks them before COMMIT.
-- drizzle-orm's migrate() fails here on ON DELETE RESTRICT, and would delete
-- the order items of an ON DELETE CASCADE reference (docs/tutorial).
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_products` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`price_cents` integer NOT NULL,
	`stock` integer DEFAULT 0 NOT NULL,
	`image` text NOT NULL,
	`sku` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	CONSTRAINT "products_price_cents_check" CHECK(price_cents >= 0),
	CONSTRAINT "products_stock_check" CHECK(stock >= 0),
	CONSTRAINT "products_sku_check" CHECK(sku <> '')
);
--> statement-breakpoint
INSERT INTO `__new_products`("id", "slug", "name", "description", "price_cents", "stock", "image", "sku", "created_at", "updated_at") SELECT "id", "slug", "name", "description", "price_cents", "stock", "image", "sku", "created_at", "updated_at" FROM `products`;--> statement-breakpoint
-- Added by hand: keep the AUTOINCREMENT counter. The copy above set the new
-- table's counter to the highest id copied, so the ids of deleted products,
-- and the SKUs made from them, would be handed out again. Move the old
-- counter to the new table instead (DROP TABLE then has none to delete).
DELETE FROM `sqlite_sequence` WHERE `name` = '__new_products';--> statement-breakpoint
UPDATE `sqlite_sequence` SET `name` = '__new_products' WHERE `name` = 'products';--> statement-breakpoint
DROP TABLE `products`;--> statement-breakpoint
ALTER TABLE `__new_products` RENAME TO `products`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `products_slug_unique` ON `products` (`slug`);--> statement-breakpoint
CREATE UNIQUE INDEX `products_sku_unique` ON `products` (`sku`);--> statement-breakpoint
CREATE INDEX `products_created_at_idx` ON `products` (`created_at`);--> statement-breakpoint
CREATE INDEX `products_price_cents_idx` ON `products` (`price_cents`);
--> statement-breakpoint
-- Added by hand: DROP TABLE took the search triggers of 0001_add_product_search
-- with it. Recreate them as they were; products_fts itself is untouched and
-- still matches, because the copy kept every id.
CREATE TRIGGER `products_fts_after_insert` AFTER INSERT ON `products` BEGIN
	INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_delete` AFTER DELETE ON `products` BEGIN
	INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_update` AFTER UPDATE OF name, description ON `products` BEGIN
	INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
	INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
