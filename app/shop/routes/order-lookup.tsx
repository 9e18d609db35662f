import { useEffect, useRef } from "react";
import { Form, href, redirect } from "react-router";
import { Field, focusFirstInvalid } from "#app/ui/field.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { findOrderByNumberAndEmail, lookupSchema } from "#app/shop/orders.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/order-lookup";

// Counted by the rate limits (app/web/rate-limits.server.ts), however the path is written.
export const handle: RouteHandle = { rateLimit: { POST: "order lookup" } };

export function meta() {
  return [{ title: "Find an order · Corner Store" }];
}

export async function action({ request, context }: Route.ActionArgs) {
  const values = formValues(await readForm(request), ["number", "email"]);
  const parsed = lookupSchema.safeParse(values);
  if (!parsed.success) return formFailure(values, parsed.error);
  const publicId = findOrderByNumberAndEmail(context.get(databaseContext), parsed.data.number, parsed.data.email);
  if (!publicId) {
    // One message for both "no such number" and "wrong email": the form must
    // not confirm that an order number exists.
    return formFailure(values, { form: "We could not find an order with that number and email." }, 404);
  }
  return redirect(href("/orders/:publicId", { publicId }));
}

export default function OrderLookup({ actionData }: Route.ComponentProps) {
  const busy = useIsPending();
  const formRef = useRef<HTMLFormElement>(null);
  const alertRef = useRef<HTMLParagraphElement>(null);
  const errors = actionData?.errors ?? {};
  useEffect(() => {
    if (!actionData) return;
    if (actionData.errors.form) alertRef.current?.focus();
    else focusFirstInvalid(formRef.current);
  }, [actionData]);

  return (
    <section className="mx-auto max-w-md">
      <h1 className="text-2xl font-semibold tracking-tight">Find an order</h1>
      <p className="mt-2 text-stone-700">Enter the order number from your confirmation and the email you used.</p>
      <Form method="post" noValidate ref={formRef} className="mt-6 flex flex-col gap-4">
        {errors.form && (
          <p
            ref={alertRef}
            tabIndex={-1}
            role="alert"
            className="rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900 focus:outline-2 focus:outline-red-700"
          >
            {errors.form}
          </p>
        )}
        <Field
          name="number"
          label="Order number"
          hint="Like ABCD-EFGH."
          autoComplete="off"
          maxLength={20}
          defaultValue={actionData?.values.number}
          error={errors.number}
        />
        <Field
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          defaultValue={actionData?.values.email}
          error={errors.email}
        />
        <button
          type="submit"
          disabled={busy}
          className="self-start rounded bg-stone-900 px-5 py-2 font-medium text-white hover:bg-stone-700 disabled:opacity-60"
        >
          {busy ? "Looking…" : "Find my order"}
        </button>
      </Form>
    </section>
  );
}
