import { useEffect, useId, useRef } from "react";
import { Form, Link, useLocation, useSearchParams } from "react-router";
import { dangerButtonClass, secondaryButtonClass } from "#app/ui/kit.tsx";
import { useHydrated } from "#app/ui/use-hydrated.ts";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";

/**
 * The one confirm step for an action that cannot be undone (cancel an
 * order, refund it, archive or delete a product, disable or delete an
 * account): decision 041.
 *
 * - With JavaScript, the button opens a modal `<dialog>` that says what will
 *   happen, with the real form post and a way back ("Keep …", focused first,
 *   so Enter or Escape never destroys anything).
 * - Without it, the button is a link to the same page with `?confirm=<id>`,
 *   which draws the same words and the same form in the page, in place of
 *   the button. Keeping goes back to the page without the query.
 *
 * Either way the action only ever runs from a POST of the confirming form,
 * so the server's checks (the status the page showed, who may do it) are the
 * same as before.
 */
export function ConfirmAction({
  id,
  trigger,
  title,
  confirm,
  keep,
  fields,
  action,
  children,
  triggerClassName = dangerButtonClass,
}: {
  /** Unique on the page: the value of ?confirm= without JavaScript. */
  id: string;
  /**
   * The button that asks: "Cancel order…" (the ellipsis says a question
   * follows). Not only text: a row's button may add whom it is for, for
   * screen readers (`<span className="sr-only">`).
   */
  trigger: React.ReactNode;
  /** The question: "Cancel order <NoBreak>WMWM-MWMW?</NoBreak>" (the dialog is named by it). */
  title: React.ReactNode;
  /** The button that does it: "Cancel order and return stock". */
  confirm: string;
  /** The way back: "Keep the order". */
  keep: string;
  /** The form's hidden fields (intent, the status the page showed, …). */
  fields: Record<string, string>;
  /** Where the form posts, if not this page's action. */
  action?: string;
  /** What will happen, in a sentence or two. */
  children: React.ReactNode;
  triggerClassName?: string;
}) {
  const hydrated = useHydrated();
  const [params] = useSearchParams();
  const location = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const pending = useIsPending({ formAction: action, fields });

  // The post has finished (done: the page shows the notice; refused: the
  // page shows why): the dialog has nothing more to say.
  const wasPending = useRef(false);
  useEffect(() => {
    if (wasPending.current && !pending) dialog.current?.close();
    wasPending.current = pending;
  }, [pending]);

  // showModal focuses the first control, the destructive one: start on the way back instead.
  const open = () => {
    dialog.current?.showModal();
    keepButton.current?.focus();
  };

  const without = new URLSearchParams(params);
  without.delete("confirm");
  const keepTo = `${location.pathname}${without.size > 0 ? `?${without}` : ""}`;
  const ask = new URLSearchParams(without);
  ask.set("confirm", id);
  const anchor = `confirm-${id}`;

  const form = (
    <Form method="post" action={action}>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit" {...busyButton(pending)} className={dangerButtonClass}>
        {confirm}
      </button>
    </Form>
  );

  if (params.get("confirm") === id) {
    // Without JavaScript (or from a bookmarked address): the question in the page.
    return (
      <section
        id={anchor}
        data-confirm-question
        tabIndex={-1}
        aria-labelledby={titleId}
        className="w-full rounded-lg border-2 border-red-700 bg-white p-4 sm:max-w-xl"
      >
        <h2 id={titleId} className="text-lg font-medium">
          {title}
        </h2>
        <div className="mt-2 text-sm text-stone-700">{children}</div>
        <div className="mt-4 flex flex-wrap items-center gap-3">
          {form}
          <Link to={keepTo} className={secondaryButtonClass}>
            {keep}
          </Link>
        </div>
      </section>
    );
  }

  return (
    <>
      {hydrated ? (
        <button type="button" className={triggerClassName} onClick={open}>
          {trigger}
        </button>
      ) : (
        <Link to={`?${ask}#${anchor}`} className={triggerClassName}>
          {trigger}
        </Link>
      )}
      {hydrated && (
        <dialog
          ref={dialog}
          aria-labelledby={titleId}
          className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg bg-white p-6 text-stone-900 shadow-xl backdrop:bg-stone-900/50"
        >
          <h2 id={titleId} className="text-lg font-medium">
            {title}
          </h2>
          <div className="mt-2 text-sm text-stone-700">{children}</div>
          <div className="mt-5 flex flex-wrap items-center gap-3">
            {form}
            <button ref={keepButton} type="button" className={secondaryButtonClass} onClick={() => dialog.current?.close()}>
              {keep}
            </button>
          </div>
        </dialog>
      )}
    </>
  );
}
