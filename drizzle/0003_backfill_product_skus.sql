-- Custom SQL migration file, put your code below! --
-- Give every product that has no SKU yet ('' from phase 1) one made from its
-- id: CS-000042 (the rule app/db/sku.ts uses for new products). Re-running it
-- changes nothing, because rows that have a SKU no longer match. On a large
-- table, run `npm run db:backfill-skus` first (small batches while the store
-- serves); this statement then finds nothing left to do.
UPDATE `products` SET `sku` = 'CS-' || printf('%06d', `id`) WHERE `sku` = '';
