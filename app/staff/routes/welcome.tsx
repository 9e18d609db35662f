import { data, Form, href, redirect } from "react-router";
import { z } from "zod";
import { useRef } from "react";
import { buttonClass, fieldErrorCount, FormAlert, useClearPasswords } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { MIN_PASSWORD_LENGTH } from "#app/core/limits.ts";
import { weakPasswordReason } from "#app/staff/password-strength.server.ts";
import { startSession } from "#app/staff/staff-session.server.ts";
import { findSignInLink, newPasswordField, setPasswordWithLink } from "#app/staff/staff.server.ts";
import type { Route } from "./+types/welcome";
import { StaffErrorPage } from "#app/ui/error-page.tsx";

// The address is a one-time credential: not cached, and never sent on to
// another site in a Referer header. `same-origin`, not `no-referrer`: under
// no-referrer a browser posts the form with "Origin: null" (without
// JavaScript), which the store's origin check must refuse. A meta tag, not a
// header: the store's own Referrer-Policy header is on every answer.
export function meta() {
  return [
    { title: "Choose a password · Store admin" },
    { name: "robots", content: "noindex" },
    { name: "referrer", content: "same-origin" },
  ];
}


const GONE = "This sign-in link has expired or has already been used. Ask the store’s owner for a new one.";

export function loader({ params, context }: Route.LoaderArgs) {
  const link = findSignInLink(context.get(databaseContext), params.token);
  if (!link) throw data(GONE, { status: 404 });
  return { email: link.email };
}

const passwordSchema = z
  .object({ password: newPasswordField, confirm: z.string() })
  .refine((form) => form.password === form.confirm, { path: ["confirm"], message: "The two passwords are not the same." });

export async function action({ request, params, context }: Route.ActionArgs) {
  const values = formValues(await readForm(request), ["password", "confirm"]);
  const blank = { password: "", confirm: "" };
  const parsed = passwordSchema.safeParse(values);
  if (!parsed.success) return formFailure(blank, parsed.error);

  const db = context.get(databaseContext);
  const link = findSignInLink(db, params.token);
  if (!link) return formFailure(blank, { form: GONE }, 409);
  const weak = await weakPasswordReason(parsed.data.password, link.email);
  if (weak) return formFailure(blank, { password: weak });
  const account = await setPasswordWithLink(db, params.token, parsed.data.password);
  if (!account) return formFailure(blank, { form: GONE }, 409);
  const headers = await startSession(db, request, account.id, `Welcome! You are signed in as ${account.email}.`);
  return redirect(href("/admin"), { headers });
}

export default function Welcome({ loaderData, actionData }: Route.ComponentProps) {
  const pending = useIsPending();
  const formRef = useRef<HTMLFormElement>(null);
  useClearPasswords(formRef, actionData);
  const errors = actionData?.errors ?? {};
  return (
    <section className="mx-auto max-w-sm">
      <h1 className="text-2xl font-semibold tracking-tight">Choose a password</h1>
      <p className="mt-1 text-stone-700">
        {"For "}
        <span className="font-medium">{loaderData.email}</span>
        {". This link works once."}
      </p>
      <Form method="post" noValidate ref={formRef} className="mt-6 grid gap-4">
        <FormAlert message={errors.form} fieldCount={fieldErrorCount(errors)} />
        {/* Lets a password manager save the new password under the right account. */}
        <input type="email" name="username" autoComplete="username" value={loaderData.email} readOnly hidden />
        <Field
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters, and not a common password. A few unrelated words make a good one.`}
          error={errors.password}
        />
        <Field name="confirm" label="The same password again" type="password" autoComplete="new-password" error={errors.confirm} />
        <button type="submit" disabled={pending} className={buttonClass}>
          {pending ? "Saving…" : "Save password and sign in"}
        </button>
      </Form>
    </section>
  );
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return <StaffErrorPage error={error} title="This link does not work" />;
}
