/**
 * A labelled text input whose error, when there is one, sits right under it
 * and is tied to it (aria-invalid, aria-describedby), so a screen reader
 * announces the message when the field gets focus.
 */
export function Field({
  name,
  label,
  error,
  defaultValue,
  hint,
  optional = false,
  className = "",
  ...input
}: {
  name: string;
  label: string;
  error?: string;
  defaultValue?: string;
  hint?: string;
  optional?: boolean;
  className?: string;
} & Pick<React.InputHTMLAttributes<HTMLInputElement>, "type" | "autoComplete" | "maxLength" | "inputMode">) {
  const errorId = `${name}-error`;
  const hintId = `${name}-hint`;
  const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ");
  return (
    <div className={className}>
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
        {optional && <span className="font-normal text-stone-600"> (optional)</span>}
      </label>
      {hint && (
        <p id={hintId} className="text-sm text-stone-600">
          {hint}
        </p>
      )}
      <input
        id={name}
        name={name}
        defaultValue={defaultValue}
        required={!optional}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 aria-invalid:border-red-700 aria-invalid:ring-1 aria-invalid:ring-red-700"
        {...input}
      />
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

/** Moves focus to the first invalid field of a form after a failed submit. */
export function focusFirstInvalid(form: HTMLFormElement | null) {
  form?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
}

/**
 * A labelled select, wired like Field: its error under it, tied to it. The
 * first option is an empty "Choose…", so a choice is always deliberate.
 */
export function SelectField({
  name,
  label,
  options,
  error,
  defaultValue,
  className = "",
  autoComplete,
}: {
  name: string;
  label: string;
  options: { value: string; label: string }[];
  error?: string;
  defaultValue?: string;
  className?: string;
  autoComplete?: string;
}) {
  const errorId = `${name}-error`;
  return (
    <div className={className}>
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
      </label>
      <select
        id={name}
        name={name}
        defaultValue={defaultValue ?? ""}
        required
        autoComplete={autoComplete}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 aria-invalid:border-red-700 aria-invalid:ring-1 aria-invalid:ring-red-700"
      >
        <option value="">Choose…</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
