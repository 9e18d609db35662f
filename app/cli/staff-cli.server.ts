// The CLI's `staff`, `inventory` and `images` commands, loaded only when one
// of them runs (docs/admin.md).
import { href } from "react-router";
import { existsSync } from "node:fs";
import { MIGRATIONS_FOLDER, migrationState } from "#app/db/migrator.server.ts";
import { publicUrl } from "#app/core/env.server.ts";
import type { CliContext, CliIo } from "#app/cli/run-cli.server.ts";
import { KnownError, UsageError } from "#app/core/errors.ts";
import { products } from "#app/db/schema.ts";
import { pruneImages } from "#app/store/images.server.ts";
import { convertLegacyImages } from "#app/ops/legacy-images.server.ts";
import { ledgerDrift, reconcileLedger } from "#app/store/inventory.server.ts";
import { weakPasswordReason } from "#app/staff/password-strength.server.ts";
import { mailConfigured } from "#app/store/mail/outbox.server.ts";
import {
  createStaff,
  emailField,
  findStaffById,
  findStaffByEmail,
  issueSignInLink,
  listStaff,
  newPasswordField,
  roleField,
  setDisabled,
  setPassword,
  signInLinkUrl,
  SIGN_IN_LINK_TTL_MS,
  StaffError,
} from "#app/staff/staff.server.ts";

type Values = Record<string, string | boolean | undefined>;

/** The database, migrated: account commands need the staff tables. */
function migratedDatabase(context: CliContext) {
  const path = context.config().DATABASE_PATH;
  if (!existsSync(path)) {
    throw new KnownError(`no database at ${path}: start the store once (or run \`npm run db:migrate\`) first`);
  }
  const db = context.db();
  const pending = migrationState(db.$client, MIGRATIONS_FOLDER).pending;
  if (pending.length > 0) {
    throw new KnownError(
      `the database has ${pending.length} pending migration(s) (${pending.map((m) => m.tag).join(", ")}): ` +
        "start the store or run `npm run db:migrate` first",
    );
  }
  return db;
}

function parseEmail(value: string | boolean | undefined) {
  if (typeof value !== "string") throw new UsageError("--email is required");
  const parsed = emailField.safeParse(value);
  if (!parsed.success) throw new UsageError(`--email: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

function printLink(origin: string, email: string, token: string, context: CliContext) {
  const hours = SIGN_IN_LINK_TTL_MS / 3_600_000;
  context.log(`sign-in link for ${email} (works once, for ${hours} hours; it is not stored and will not be shown again):`);
  context.log("");
  context.log(`  ${signInLinkUrl(origin, token)}`);
  context.log("");
  // The store's sender delivers it (the CLI queues, it does not send).
  if (mailConfigured(context.config())) context.log("It is also queued as an email to them; the running store sends it.");
}

/**
 * A password from stdin: piped (`printf '%s' "$PASSWORD" | …`), or typed at
 * a terminal without echo, twice.
 */
async function readPassword({ stdin, stdout }: CliIo): Promise<string> {
  if (!stdin) throw new KnownError("--password-stdin: there is no standard input to read");
  if (!stdin.isTTY || !stdin.setRawMode) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const terminal = { input: stdin, setRawMode: stdin.setRawMode.bind(stdin), output: stdout };
  const first = await promptHidden("Password: ", terminal);
  const second = await promptHidden("Same password again: ", terminal);
  if (first !== second) throw new KnownError("the two passwords are not the same; nothing was changed");
  return first;
}

type Terminal = { input: NodeJS.ReadableStream; setRawMode: (raw: boolean) => unknown; output: CliIo["stdout"] };

function promptHidden(question: string, { input, setRawMode, output }: Terminal): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = "";
    output.write(question);
    setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    const done = (error?: Error) => {
      setRawMode(false);
      input.pause();
      input.off("data", onData);
      output.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new KnownError("cancelled; nothing was changed"));
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on("data", onData);
  });
}

export async function staffCommand(positionals: string[], values: Values, context: CliContext) {
  const [action] = positionals;
  switch (action) {
    case "create": {
      const email = parseEmail(values.email);
      const role = roleField.safeParse(values.role);
      if (!role.success) throw new UsageError("--role must be owner or staff");
      // The link is printed on PUBLIC_URL: it and the password are checked
      // before anything is created.
      const origin = publicUrl(context.config());
      let password: string | undefined;
      if (values["password-stdin"] === true) {
        const parsed = newPasswordField.safeParse(await readPassword(context.io));
        if (!parsed.success) throw new KnownError(`password refused: ${parsed.error.issues[0]!.message}`);
        const weak = await weakPasswordReason(parsed.data, email);
        if (weak) throw new KnownError(`password refused: ${weak}`);
        password = parsed.data;
      }
      const db = migratedDatabase(context);
      const account = createStaff(db, { email, role: role.data });
      context.log(`created ${account.role} account ${account.email}`);
      if (password) {
        await setPassword(db, account.id, password);
        context.log(`password set; sign in at ${origin}${href("/admin/sign-in")}`);
      } else {
        printLink(origin, account.email, issueSignInLink(db, account.id, new Date(), { kind: "staff_invitation", config: context.config() }), context);
      }
      return;
    }
    case "link": {
      const origin = publicUrl(context.config()); // before a new link replaces the old one
      const db = migratedDatabase(context);
      const account = findStaffByEmail(db, parseEmail(values.email));
      if (!account) throw new StaffError(`there is no account for ${String(values.email)}`);
      if (account.disabledAt) throw new StaffError(`${account.email} is disabled: enable it first (staff enable --email …)`);
      printLink(origin, account.email, issueSignInLink(db, account.id, new Date(), { kind: "staff_sign_in_link", config: context.config() }), context);
      return;
    }
    case "list": {
      const rows = listStaff(migratedDatabase(context));
      if (rows.length === 0) context.log("no staff accounts yet: npm run staff:create -- --email you@example.com --role owner");
      for (const r of rows) {
        const state = r.disabled ? "disabled" : r.hasPassword ? "active" : "no password yet";
        context.log(`${r.email}  ${r.role}  ${state}  last active ${r.lastSeenAt?.toISOString() ?? "never"}`);
      }
      return;
    }
    case "disable":
    case "enable": {
      const db = migratedDatabase(context);
      const account = findStaffByEmail(db, parseEmail(values.email));
      if (!account) throw new StaffError(`there is no account for ${String(values.email)}`);
      // The CLI acts as nobody in particular (actor 0), so the usual rules
      // apply, the last owner included.
      setDisabled(db, 0, account.id, action === "disable");
      const after = findStaffById(db, account.id)!;
      context.log(`${after.email} is ${after.disabledAt ? "disabled (signed out everywhere)" : "enabled"}`);
      return;
    }
    default:
      throw new UsageError(action ? `unknown staff command "${action}"` : "staff needs a command");
  }
}

export function inventoryCommand(positionals: string[], values: Values, context: CliContext): 0 | 1 {
  const [action] = positionals;
  const db = migratedDatabase(context);
  if (action === "check") {
    const drift = ledgerDrift(db);
    if (drift.length === 0) {
      context.log("inventory: every product's stock equals the sum of its stock movements");
      return 0;
    }
    for (const p of drift) context.error(`product ${p.id} (${p.sku}): stock ${p.stock}, movements add up to ${p.recorded}`);
    context.error(
      `inventory: ${drift.length} product(s) whose stock the ledger does not explain (changed outside the app?). ` +
        "See docs/admin.md; `inventory reconcile` records the differences as adjustments.",
    );
    return 1;
  }
  if (action === "reconcile") {
    const note = typeof values.note === "string" && values.note.trim() ? values.note.trim() : "reconciled: stock changed outside the ledger";
    const written = reconcileLedger(db, note.slice(0, 200));
    context.log(`inventory: ${written.length} adjustment(s) recorded; stock itself unchanged`);
    return 0;
  }
  throw new UsageError(action ? `unknown inventory command "${action}"` : "inventory needs check or reconcile");
}

/**
 * `images variants`: uploads stored as sent get their variants (once, at an
 * upgrade). `images prune`: uploaded images no product uses, untouched for `days`.
 */
export async function imagesCommand(positionals: string[], options: { days: number; dryRun: boolean }, context: CliContext) {
  const [action] = positionals;
  if (action === "variants") return imageVariantsCommand(context);
  if (action !== "prune") throw new UsageError(action ? `unknown images command "${action}"` : "images needs variants or prune");
  const db = migratedDatabase(context);
  const used = db.select({ image: products.image }).from(products).all().map((p) => p.image);
  const result = pruneImages(context.config().DATABASE_PATH, used, { graceMs: options.days * 86_400_000, dryRun: options.dryRun });
  for (const path of result.removed) context.log(`${options.dryRun ? "would delete" : "deleted"} ${path}`);
  const size = `${(result.bytes / 1024 / 1024).toFixed(1)} MB`;
  context.log(
    `images: ${result.removed.length} unused file(s), ${size}, ${options.dryRun ? "would be deleted" : "deleted"}; ` +
      `${result.kept} kept (used by a product, or touched in the last ${options.days} day(s))`,
  );
}

async function imageVariantsCommand(context: CliContext) {
  const reports = await convertLegacyImages(migratedDatabase(context), context.config().DATABASE_PATH);
  for (const report of reports) {
    const used = "slugs" in report ? ` (used by ${report.slugs.join(", ")})` : "";
    if (report.status === "converted") context.log(`converted ${report.from} → ${report.to} (${report.products} product(s))`);
    if (report.status === "refused") context.error(`refused ${report.from}${used}: ${report.error}`);
    if (report.status === "missing") context.error(`missing ${report.from}${used}: no such file in the uploads folder; restore it, or upload another image.`);
  }
  const count = (status: string) => reports.filter((r) => r.status === status).length;
  if (reports.length === 0) {
    context.log("images: nothing to convert, every uploaded product image has its variants");
    return;
  }
  context.log(
    `images: ${count("converted")} converted, ${count("refused")} refused, ${count("missing")} missing; ` +
      "the originals stay until `images prune` deletes them (untouched for --days, 7 by default)",
  );
  // Refused or missing: pages still show the old file, so say so with the exit code.
  if (count("converted") < reports.length) return 1;
}
