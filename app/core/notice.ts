// A one-time message an action leaves for the next staff page ("Order
// WMWM-MWMW is refunded; its items are back in stock."). A code in it (an
// order number, a SKU) is a part of its own, not just more text, so that the
// page can keep each code on one line (NoBreak, app/ui/kit.tsx): on a phone,
// or with large text, "Order WMWM-" once ended a line.

export type NoticePart = string | { code: string };
export type Notice = NoticePart[];

/** Marks a value in a `notice` as a code. */
export const code = (value: string) => ({ code: value });

/** notice`Order ${code(number)} is refunded.`: the words as written, with each code kept apart. */
export function notice(words: TemplateStringsArray, ...values: (string | number | { code: string })[]): Notice {
  const parts: Notice = [];
  const add = (part: NoticePart) => {
    const last = parts.at(-1);
    if (typeof part === "string" && typeof last === "string") parts[parts.length - 1] = last + part;
    else if (part !== "") parts.push(part);
  };
  words.forEach((text, i) => {
    add(text);
    if (i < values.length) add(typeof values[i] === "object" ? values[i] : String(values[i]));
  });
  return parts;
}

/** The notice as stored (a JSON list of its parts). */
export const storedNotice = (value: Notice | string): string => JSON.stringify(typeof value === "string" ? [value] : value);

/**
 * The notice a stored value holds. A value that is not such a list (a notice
 * the release before this one left as plain text) is shown as the text it is.
 */
export function readNotice(stored: string): Notice {
  try {
    const parsed: unknown = JSON.parse(stored);
    const isPart = (part: unknown) =>
      typeof part === "string" || (typeof part === "object" && part !== null && typeof (part as { code?: unknown }).code === "string");
    if (Array.isArray(parsed) && parsed.every(isPart)) return parsed as Notice;
  } catch {
    // Plain text, below.
  }
  return [stored];
}
