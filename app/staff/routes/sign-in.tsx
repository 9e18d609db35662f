import { Form, redirect, useSearchParams } from "react-router";
import { z } from "zod";
import { useRef } from "react";
import { buttonClass, FormAlert, fieldErrorCount, useClearPasswords } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { signInsLimited } from "#app/web/rate-limited.server.ts";
import { safeNext } from "#app/staff/staff-auth.server.ts";
import { readSession, readSessionToken, startSession } from "#app/staff/staff-session.server.ts";
import { authenticate } from "#app/staff/staff.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/sign-in";

// Counted by the rate limits (app/web/rate-limits.server.ts), however the path is written.
export const handle: RouteHandle = { rateLimit: { POST: "sign-in" } };

export function meta() {
  return [{ title: "Sign in · Store admin" }, { name: "robots", content: "noindex" }];
}

// Already signed in: straight on.
export async function loader({ request, url, context }: Route.LoaderArgs) {
  const next = safeNext(url.searchParams.get("next"));
  if (readSession(context.get(databaseContext), await readSessionToken(request))) throw redirect(next);
  return null;
}

const signInSchema = z.object({
  email: z.string().trim().min(1, "Enter your email address.").max(254, "Use at most 254 characters."),
  password: z.string().min(1, "Enter your password.").max(1024, "That password is too long."),
});

// One message for every wrong combination: it must not tell an unknown email
// from a wrong password (or a disabled account).
const WRONG = "That email and password do not match an account. Check both and try again.";

export async function action({ request, context }: Route.ActionArgs) {
  const form = await readForm(request);
  const sent = formValues(form, ["email", "password", "next"]);
  // Never send a password back to the page.
  const values = { ...sent, password: "" };

  // Over the failed sign-in limit: refused in the form, without checking
  // the password (app/web/rate-limits.server.ts).
  const limited = signInsLimited(request);
  if (limited) return formFailure(values, { form: limited }, 429);

  const parsed = signInSchema.safeParse(sent);
  if (!parsed.success) return formFailure(values, parsed.error);

  const db = context.get(databaseContext);
  const staff = await authenticate(db, parsed.data.email, parsed.data.password);
  // 401: also what the rate limit counts (app/web/rate-limits.server.ts).
  if (!staff) return formFailure(values, { form: WRONG }, 401);

  // A new session every time (never reuse one the browser brought along),
  // and the old one, if any, ends.
  return redirect(safeNext(sent.next), { headers: await startSession(db, request, staff.id) });
}

export default function SignIn({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const pending = useIsPending();
  const formRef = useRef<HTMLFormElement>(null);
  useClearPasswords(formRef, actionData);
  const errors = actionData?.errors ?? {};
  const signedOut = searchParams.get("signed-out") === "1";
  return (
    <section className="mx-auto max-w-sm">
      <h1 className="text-2xl font-semibold tracking-tight">Store admin</h1>
      <p className="mt-1 text-stone-700">Sign in to manage products, orders and stock.</p>
      <div role="status">
        {signedOut && !actionData && (
          <p className="mt-4 rounded border border-green-700 bg-green-50 px-4 py-3 text-sm text-green-900">You are signed out.</p>
        )}
      </div>
      <Form method="post" noValidate ref={formRef} className="mt-6 grid gap-4">
        <FormAlert message={errors.form} fieldCount={fieldErrorCount(errors)} />
        <input type="hidden" name="next" value={actionData?.values.next ?? searchParams.get("next") ?? ""} />
        <Field name="email" label="Email" type="email" autoComplete="username" defaultValue={actionData?.values.email} error={errors.email} />
        <Field name="password" label="Password" type="password" autoComplete="current-password" error={errors.password} />
        <button type="submit" disabled={pending} className={buttonClass}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </Form>
      <p className="mt-6 text-sm text-stone-600">
        No password yet, or forgot it? Ask the store’s owner for a sign-in link.
      </p>
    </section>
  );
}
