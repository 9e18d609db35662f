CREATE TABLE `outbox_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`order_id` integer,
	`staff_id` integer,
	`link` text,
	`message_id` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`due_at_ms` integer NOT NULL,
	`lease_owner` text,
	`lease_until_ms` integer,
	`last_error` text,
	`created_at_ms` integer NOT NULL,
	`queued_at_ms` integer NOT NULL,
	`sent_at_ms` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE restrict,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "outbox_messages_kind_check" CHECK(kind in ('order_placed', 'order_paid', 'order_shipped', 'order_cancelled', 'order_refunded', 'staff_invitation', 'staff_sign_in_link')),
	CONSTRAINT "outbox_messages_status_check" CHECK(status in ('queued', 'sent', 'failed')),
	CONSTRAINT "outbox_messages_subject_check" CHECK((order_id IS NOT NULL) + (staff_id IS NOT NULL) = 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_messages_message_id_unique` ON `outbox_messages` (`message_id`);--> statement-breakpoint
CREATE INDEX `outbox_messages_status_due_idx` ON `outbox_messages` (`status`,`due_at_ms`);--> statement-breakpoint
CREATE INDEX `outbox_messages_order_id_idx` ON `outbox_messages` (`order_id`);--> statement-breakpoint
CREATE INDEX `outbox_messages_staff_id_idx` ON `outbox_messages` (`staff_id`);