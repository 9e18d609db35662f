import { useFormAction, useNavigation } from "react-router";

/**
 * True while a form on this route is submitting: from the click until the
 * page it leads to has loaded. `fields` narrows it to the submission that
 * carries those values (one cart line's form among many), `formMethod:
 * "GET"` to a search form's navigation.
 */
export function useIsPending({
  formMethod = "POST",
  formAction,
  fields = {},
}: { formMethod?: "GET" | "POST"; formAction?: string; fields?: Record<string, string> } = {}) {
  const contextualAction = useFormAction();
  const navigation = useNavigation();
  return (
    navigation.state !== "idle" &&
    navigation.formMethod === formMethod &&
    navigation.formAction === (formAction ?? contextualAction) &&
    Object.entries(fields).every(([name, value]) => navigation.formData?.get(name) === value)
  );
}

/**
 * A submit button's props while its form is `busy`: marked busy, and a
 * second press does nothing. Not `disabled`: a disabled button drops the
 * keyboard focus it holds, and the person is thrown back to the top of the
 * page; this one keeps it, on the same button after the page has updated.
 */
export function busyButton(busy: boolean) {
  return {
    "aria-disabled": busy || undefined,
    onClick: (event: { preventDefault(): void }) => {
      if (busy) event.preventDefault();
    },
  };
}
