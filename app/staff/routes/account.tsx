import { Form, href, redirect } from "react-router";
import { z } from "zod";
import { useRef } from "react";
import { buttonClass, fieldErrorCount, FormAlert, PageHeading, useClearPasswords } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { MIN_PASSWORD_LENGTH } from "#app/core/limits.ts";
import { weakPasswordReason } from "#app/staff/password-strength.server.ts";
import { signInsLimited } from "#app/web/rate-limited.server.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import { changePassword, newPasswordField } from "#app/staff/staff.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/account";

// Counted by the rate limits (app/web/rate-limits.server.ts), however the path is written.
export const handle: RouteHandle = { rateLimit: { POST: "sign-in" } };

export function meta() {
  return [{ title: "Your account · Store admin" }];
}

export function loader({ context }: Route.LoaderArgs) {
  const { staff } = signedInStaff(context);
  return { email: staff.email, role: staff.role };
}

const changePasswordSchema = z
  .object({ current: z.string().min(1, "Enter your current password."), password: newPasswordField, confirm: z.string() })
  .refine((form) => form.password === form.confirm, { path: ["confirm"], message: "The two new passwords are not the same." });

export async function action({ request, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const values = formValues(await readForm(request), ["current", "password", "confirm"]);
  const blank = { current: "", password: "", confirm: "" };
  // Checking the current password is a sign-in attempt: a wrong one counts
  // against the failed sign-in limit, and over it nothing is checked, as on
  // the sign-in page (app/web/rate-limits.server.ts).
  const limited = signInsLimited(request);
  if (limited) return formFailure(blank, { form: limited }, 429);
  const parsed = changePasswordSchema.safeParse(values);
  if (!parsed.success) return formFailure(blank, parsed.error);

  const weak = await weakPasswordReason(parsed.data.password, staff.email);
  if (weak) return formFailure(blank, { password: weak });

  const db = context.get(databaseContext);
  const changed = await changePassword(db, {
    staffId: staff.id,
    current: parsed.data.current,
    password: parsed.data.password,
    keepSessionId: sessionId,
  });
  // 401, as a wrong password on the sign-in page: what the limit counts.
  if (!changed) return formFailure(blank, { current: "That is not your current password." }, 401);
  setNotice(db, sessionId, "Password changed. You were signed out everywhere else.");
  return redirect(href("/admin/account"));
}

export default function Account({ loaderData, actionData }: Route.ComponentProps) {
  const pending = useIsPending();
  const formRef = useRef<HTMLFormElement>(null);
  useClearPasswords(formRef, actionData);
  const errors = actionData?.errors ?? {};
  return (
    <section className="max-w-md">
      <PageHeading title="Your account" />
      <p className="text-stone-700">
        {"Signed in as "}
        <span className="font-medium">{loaderData.email}</span>
        {loaderData.role === "owner" ? ", the store’s owner." : ", staff."}
      </p>
      <h2 className="mt-8 text-lg font-medium">Change your password</h2>
      <Form method="post" noValidate ref={formRef} className="mt-4 grid gap-4">
        <FormAlert message={errors.form} fieldCount={fieldErrorCount(errors)} />
        <input type="email" name="username" autoComplete="username" value={loaderData.email} readOnly hidden />
        <Field name="current" label="Current password" type="password" autoComplete="current-password" error={errors.current} />
        <Field
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters, and not a common password.`}
          error={errors.password}
        />
        <Field name="confirm" label="New password again" type="password" autoComplete="new-password" error={errors.confirm} />
        <button type="submit" disabled={pending} className={buttonClass}>
          {pending ? "Saving…" : "Change password"}
        </button>
      </Form>
    </section>
  );
}
