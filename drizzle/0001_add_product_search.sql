-- Custom SQL migration file, put your code below! --
-- Full-text search over product names and descriptions (SQLite FTS5).
-- drizzle-kit cannot model virtual tables or triggers, so this file is written
-- by hand. products_fts is an external-content index: it stores the search
-- index only and reads the text from products by rowid (= products.id).
-- The triggers keep it in step with products. A later table rebuild of
-- products (DROP TABLE + RENAME) drops these triggers and must recreate them.
CREATE VIRTUAL TABLE `products_fts` USING fts5(
	name,
	description,
	content='products',
	content_rowid='id',
	tokenize='unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_insert` AFTER INSERT ON `products` BEGIN
	INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_delete` AFTER DELETE ON `products` BEGIN
	INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
END;
--> statement-breakpoint
-- Only text changes touch the index: stock and price updates at checkout do not.
CREATE TRIGGER `products_fts_after_update` AFTER UPDATE OF name, description ON `products` BEGIN
	INSERT INTO products_fts(products_fts, rowid, name, description) VALUES ('delete', old.id, old.name, old.description);
	INSERT INTO products_fts(rowid, name, description) VALUES (new.id, new.name, new.description);
END;
--> statement-breakpoint
-- Index any rows that already exist.
INSERT INTO products_fts(products_fts) VALUES ('rebuild');
