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
