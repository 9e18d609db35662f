// Small pieces the staff pages share. Plain components: no data, no server code.
import { useEffect, useRef } from "react";
import { orderStatusLabel } from "#app/store/order-status.ts";
import { formatPrice } from "#app/core/money.ts";
import type { Notice, NoticePart } from "#app/core/notice.ts";

export const buttonClass =
  "inline-block rounded bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700 disabled:opacity-60";
export const secondaryButtonClass =
  "inline-block rounded border border-stone-400 bg-white px-4 py-2 font-medium text-stone-900 hover:bg-stone-100 disabled:opacity-60";
export const dangerButtonClass =
  "inline-block rounded border border-red-700 bg-white px-4 py-2 font-medium text-red-800 hover:bg-red-50 disabled:opacity-60";
export const linkClass = "font-medium underline hover:text-stone-700";

// Times in the store's time zone (STORE_TIME_ZONE): app/ui/time-zone.ts.
export { formatDateTime } from "#app/ui/time-zone.ts";

export { formatPrice };

/**
 * A code in running text (an order number, a SKU): a line that wraps breaks
 * before it, never at its dash. Plain text inside, so copying it copies the
 * code as typed.
 *
 * An inline box as wide as the code, so that a table or anything else that
 * sizes itself to its content makes room for all of it, and never wider than
 * the line: a code longer than a whole line (a SKU may have 40 characters)
 * wraps inside its box instead of pushing the page sideways. A line may break
 * just after a box, so punctuation that follows the code goes inside with it
 * ("WMWM-MWMW?"); inside a link it takes the link's underline, which would
 * otherwise stop at the box.
 */
export function NoBreak({ children, className = "" }: { children: React.ReactNode; className?: string }) {
  return <span className={`inline-block w-max max-w-full wrap-break-word [text-decoration:inherit] ${className}`}>{children}</span>;
}

/** A notice's words (app/core/notice.ts), each code in it on one line with the punctuation that follows it. */
export function NoticeText({ notice }: { notice: Notice }) {
  const glued = (text: NoticePart | undefined) => (typeof text === "string" ? /^\S*/.exec(text)![0] : "");
  return notice.map((part, i) => {
    if (typeof part === "object") return <NoBreak key={i}>{`${part.code}${glued(notice[i + 1])}`}</NoBreak>;
    return typeof notice[i - 1] === "object" ? part.slice(glued(part).length) : part;
  });
}

/** The form-level message after a refused submit, announced and focusable. */
export function FormAlert({ message, fieldCount = 0 }: { message?: string; fieldCount?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const text = message ?? (fieldCount > 0 ? `Please correct ${fieldCount === 1 ? "the field" : `${fieldCount} fields`} below.` : null);
  useEffect(() => {
    if (text) ref.current?.focus();
  }, [text]);
  if (!text) return null;
  return (
    <div
      ref={ref}
      tabIndex={-1}
      role="alert"
      className="mb-6 rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900 focus:outline-2 focus:outline-red-700"
    >
      <p className="font-medium">{text}</p>
    </div>
  );
}

/**
 * Empties a form's password fields after a refused submit. Without
 * JavaScript the page comes back with them empty (the server never sends a
 * password back); with it, React keeps what was typed: do the same here.
 */
export function useClearPasswords(form: React.RefObject<HTMLFormElement | null>, actionData: unknown) {
  useEffect(() => {
    if (!actionData) return;
    for (const input of form.current?.querySelectorAll<HTMLInputElement>("input[type=password]") ?? []) input.value = "";
  }, [form, actionData]);
}

/** How many field errors a failed form has (its `form` message aside). */
export function fieldErrorCount(errors: Record<string, string | undefined> | undefined) {
  return Object.entries(errors ?? {}).filter(([key, value]) => key !== "form" && value).length;
}

export function TextAreaField({
  name,
  label,
  error,
  defaultValue,
  hint,
  rows = 4,
  maxLength,
}: {
  name: string;
  label: string;
  error?: string;
  defaultValue?: string;
  hint?: string;
  rows?: number;
  maxLength?: number;
}) {
  const describedBy = [hint ? `${name}-hint` : "", error ? `${name}-error` : ""].filter(Boolean).join(" ");
  return (
    <div>
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
      </label>
      {hint && (
        <p id={`${name}-hint`} className="text-sm text-stone-600">
          {hint}
        </p>
      )}
      <textarea
        id={name}
        name={name}
        rows={rows}
        maxLength={maxLength}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 aria-invalid:border-red-700 aria-invalid:ring-1 aria-invalid:ring-red-700"
      />
      {error && (
        <p id={`${name}-error`} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

export function SelectField({
  name,
  label,
  options,
  defaultValue,
  error,
}: {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  defaultValue?: string;
  error?: string;
}) {
  return (
    <div>
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
      </label>
      <select
        id={name}
        name={name}
        defaultValue={defaultValue}
        key={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
        className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 aria-invalid:border-red-700"
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error && (
        <p id={`${name}-error`} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

const statusStyles: Record<string, string> = {
  placed: "border-amber-700 bg-amber-50 text-amber-950",
  awaiting_payment: "border-amber-700 bg-amber-50 text-amber-950",
  paid: "border-sky-700 bg-sky-50 text-sky-900",
  refunded: "border-stone-500 bg-stone-100 text-stone-800",
  shipped: "border-green-700 bg-green-50 text-green-900",
  cancelled: "border-stone-500 bg-stone-100 text-stone-800",
  archived: "border-stone-500 bg-stone-100 text-stone-800",
  active: "border-green-700 bg-green-50 text-green-900",
  disabled: "border-red-700 bg-red-50 text-red-900",
};

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`inline-block rounded border px-2 py-0.5 text-xs font-medium ${statusStyles[status] ?? statusStyles.placed}`}>
      {label ?? orderStatusLabel(status)}
    </span>
  );
}

/** A page heading with optional actions beside it. */
export function PageHeading({ title, children }: { title: React.ReactNode; children?: React.ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-center justify-between gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
      {children && <div className="flex flex-wrap items-center gap-3">{children}</div>}
    </div>
  );
}
