-- Custom SQL migration file, put your code below! --
-- Opening balances for the stock ledger (0006_add_stock_movements). Until
-- now products.stock was changed with no record; from here on every change
-- writes a movement, so for every product stock = sum(delta). Give each
-- product the one 'initial' movement that makes that true: its stock minus
-- whatever movements it already has. That is its whole stock on a store
-- upgrading in one step (this file and the code that writes movements ship
-- together), and still the right amount if the code has already been writing
-- movements for a while. Running it again finds nothing to do. Products with
-- no stock and no movements need no row (a sum over nothing is 0).
-- One INSERT … SELECT: on 100,000 products it holds the write lock for a
-- fraction of a second, so no batching as in 0003.
INSERT INTO `stock_movements` (`product_id`, `delta`, `reason`, `note`)
SELECT `p`.`id`, `p`.`stock` - coalesce(`m`.`total`, 0), 'initial', 'opening balance'
FROM `products` AS `p`
LEFT JOIN (
  SELECT `product_id`, sum(`delta`) AS `total` FROM `stock_movements` GROUP BY `product_id`
) AS `m` ON `m`.`product_id` = `p`.`id`
WHERE `p`.`stock` - coalesce(`m`.`total`, 0) <> 0
ORDER BY `p`.`id`;
