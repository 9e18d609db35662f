-- Reviewed: builds two indexes, each over a whole table while holding the write lock.
-- On 100,000 orders and 179,874 webhook rows (npm run bench:payments, the 2-core test machine):
-- orders_payment_intent_idx 59 ms, payment_events_created_at_idx 51 ms. Checkouts wait that long.
-- They take a refund webhook's order lookup from 7.7 ms to 26 µs and the sweep's prune with
-- nothing to delete from 13.5 ms to 89 µs (medians, measured without and with them in one run).
CREATE INDEX `orders_payment_intent_idx` ON `orders` (`payment_intent`);--> statement-breakpoint
CREATE INDEX `payment_events_created_at_idx` ON `payment_events` (`created_at`);