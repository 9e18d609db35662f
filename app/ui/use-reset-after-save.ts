import { useEffect, useRef } from "react";
import { useIsPending } from "#app/ui/use-is-pending.ts";

/**
 * After a save that went through (with JavaScript), puts the form back the
 * way a fresh page would show it. Without JavaScript the page is loaded
 * again and this is what the browser does anyway; with it, React keeps what
 * was typed and chosen, so a second press of the button would apply the same
 * change twice (a stock adjustment of +5 made twice).
 *
 * - `clear` (a form that creates something: an adjustment, an account):
 *   every field is emptied, and focus goes to the first field, ready for the
 *   next one.
 * - otherwise (a form that edits something): the fields go back to their
 *   defaults, which the page now fills with the saved values, and a chosen
 *   file is dropped; focus stays on the button that saved (busyButton).
 *
 * `failed`: the action refused the submit (its errors are on the page): the
 * form keeps what was typed so it can be corrected.
 */
export function useResetAfterSave(
  form: React.RefObject<HTMLFormElement | null>,
  { fields, failed, clear = false }: { fields?: Record<string, string>; failed: boolean; clear?: boolean },
) {
  const pending = useIsPending({ fields });
  const wasPending = useRef(false);
  useEffect(() => {
    const finished = wasPending.current && !pending;
    wasPending.current = pending;
    const element = form.current;
    if (!finished || failed || !element) return;
    element.reset();
    if (!clear) return;
    const typed = element.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(
      "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]), textarea",
    );
    for (const field of typed) field.value = "";
    typed[0]?.focus();
  }, [pending, failed, clear, form]);
}
