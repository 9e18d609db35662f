import { useEffect, useRef } from "react";
import { Form, href, Link, redirect, type ShouldRevalidateFunctionArgs } from "react-router";
import type { z } from "zod";
import { EmptyCart } from "#app/ui/empty-cart.tsx";
import { Field, focusFirstInvalid, SelectField } from "#app/ui/field.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { getCartView, orderLimits } from "#app/shop/cart.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { formFailure, formValues, isDocumentPost, readForm, type FormErrors } from "#app/core/forms.server.ts";
import { formatPrice } from "#app/core/money.ts";
import {
  checkoutFields,
  checkoutSchema,
  findOrderByCheckoutToken,
  isToken,
  placeOrder,
  shipToCountries,
} from "#app/shop/orders.server.ts";
import { payForOrder } from "#app/shop/pay.server.ts";
import { onlinePayments } from "#app/store/payments.server.ts";
import {
  checkoutTokenFor,
  flashFormFailure,
  getSession,
  readCart,
  takeFormFailure,
  writeCart,
  type StoreSession,
} from "#app/web/session.server.ts";
import type { RouteHandle } from "#app/web/request-route.server.ts";
import type { Route } from "./+types/checkout";

// Counted by the rate limits (app/web/rate-limits.server.ts), however the path is written.
export const handle: RouteHandle = { rateLimit: { POST: "order" } };

export function meta() {
  return [
    { title: "Checkout · Corner Store" },
    { name: "description", content: "Your address and payment for the products in your cart." },
    { name: "robots", content: "noindex" },
  ];
}

export async function loader({ context }: Route.LoaderArgs) {
  const session = getSession(context);
  const cart = getCartView(context.get(databaseContext), readCart(session));
  return {
    cart,
    checkoutToken: cart.lines.length === 0 ? null : checkoutTokenFor(session),
    countries: shipToCountries(context.get(configContext)),
    // A refusal of a post made without JavaScript, carried over the 303 (see refuse below).
    failure: takeFormFailure(session, "checkout"),
    online: (await onlinePayments(context.get(configContext))) !== null,
  };
}

type CheckoutValues = Record<(typeof checkoutFields)[number] | "checkoutToken", string>;

/**
 * Refuses the checkout form. Posted by the page's script: a 400 (or 409)
 * with the errors, as every form (decision 009). Posted by the browser
 * itself: a 303 back to the form, with the errors and what was typed kept
 * in the session for that one page, so the page in the history is a GET and
 * Back after ordering never offers to send the form again (decision 033).
 */
function refuse(
  request: Request,
  session: StoreSession,
  values: CheckoutValues,
  errors: FormErrors<keyof CheckoutValues> | z.ZodError,
  status = 400,
) {
  const failure = formFailure(values, errors, status);
  if (!isDocumentPost(request)) return failure;
  flashFormFailure(session, "checkout", failure.data, status);
  return redirect(href("/checkout"), 303);
}

// A refusal normally keeps the page's data as it was; a 409 means stock
// changed under the shopper, so read the cart again: the order summary then
// flags each line that can no longer be bought as it is.
export function shouldRevalidate({ actionStatus, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return actionStatus === 409 || defaultShouldRevalidate;
}

export async function action({ request, context }: Route.ActionArgs) {
  const values = formValues(await readForm(request), [...checkoutFields, "checkoutToken"]);
  const db = context.get(databaseContext);
  const session = getSession(context);

  const token = values.checkoutToken;
  if (!isToken(token)) {
    return refuse(request, session, values, { form: "This checkout page is out of date. Please reload it and try again." });
  }
  // Seen this token before? Then this is a resubmission of an order that was
  // placed: show it, whatever the cart holds now (it may be empty already).
  const existing = findOrderByCheckoutToken(db, token);
  if (existing) return toConfirmation(existing, session, session.get("checkoutToken") === token);

  const parsed = checkoutSchema(context.get(configContext)).safeParse(values);
  if (!parsed.success) return refuse(request, session, values, parsed.error);

  const cart = readCart(session);
  if (cart.length === 0) return refuse(request, session, values, { form: "Your cart is empty." });

  // Prices, names and totals are read by placeOrder from the database; the
  // form has none, and any the client adds are never looked at.
  const provider = await onlinePayments(context.get(configContext));
  const config = context.get(configContext);
  const result = placeOrder(db, {
    checkoutToken: token,
    details: parsed.data,
    cart,
    payment: { provider: provider ? provider.name : "manual", currency: config.STORE_CURRENCY, holdMinutes: config.PAYMENT_HOLD_MINUTES },
  }, orderLimits(config), config.PUBLIC_URL);
  if (result.status === "rejected") {
    // Named as placeOrder found them, under the write lock.
    const problems = result.problems.map((p) => `${p.name ?? "A product in your cart"} ${p.message}.`);
    if (result.tooMany) problems.push(result.tooMany);
    return refuse(
      request,
      session,
      values,
      { form: ["Some items are no longer available in the quantity you chose.", ...problems].join(" ") },
      409,
    );
  }
  if (!provider) return toConfirmation(result.publicId, session, true);
  // The order is committed with its stock held; now the one provider call.
  // If it fails, the order waits on its "pay" page with "Try paying again".
  writeCart(session, []);
  session.unset("checkoutToken");
  const payment = await payForOrder(db, provider, result.publicId, context.get(configContext));
  if (payment.status === "redirect") return redirect(payment.url, 303);
  return redirect(`${href("/orders/:publicId/pay", { publicId: result.publicId })}?retry`, 303);
}

function toConfirmation(publicId: string, session: StoreSession, cartWasOrdered: boolean) {
  // The cart became this order: empty it and retire the token, so the next
  // checkout gets a fresh one. (A resubmitted old form from another tab
  // leaves the current cart alone.)
  if (cartWasOrdered) {
    writeCart(session, []);
    session.unset("checkoutToken");
  }
  return redirect(href("/orders/:publicId", { publicId }));
}

export default function Checkout({ loaderData, actionData }: Route.ComponentProps) {
  const { cart, checkoutToken, countries, online } = loaderData;
  // From the action (JavaScript), or from the session after a 303 (without).
  const failure = actionData ?? loaderData.failure;
  const placing = useIsPending();
  const formRef = useRef<HTMLFormElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!failure) return;
    if (failure.errors.form) alertRef.current?.focus();
    else focusFirstInvalid(formRef.current);
  }, [failure]);

  if (cart.lines.length === 0 || !checkoutToken) {
    return (
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">Checkout</h1>
        <EmptyCart />
      </section>
    );
  }

  const errors: FormErrors<string> = failure?.errors ?? {};
  const values: Partial<Record<string, string>> | undefined = failure?.values;
  const fieldCount = Object.keys(errors).filter((k) => k !== "form").length;
  return (
    <section>
      <h1 className="text-2xl font-semibold tracking-tight">Checkout</h1>
      <div className="mt-6 grid gap-10 lg:grid-cols-[1fr_22rem]">
        {/* Before the form in the page, so the keyboard reaches "Edit cart" before the
            fields and Place order; beside it from 1024 px, above it on phones. */}
        <aside aria-labelledby="summary-heading" className="h-fit rounded-lg border border-stone-200 bg-white p-5 lg:col-start-2 lg:row-start-1">
          <h2 id="summary-heading" className="text-lg font-medium">
            Order summary
          </h2>
          <ul className="mt-4 divide-y divide-stone-200 text-sm">
            {cart.lines.map((line) => (
              <li key={line.productId} className="flex flex-wrap items-center gap-3 py-2">
                {line.product ? (
                  <ProductImage
                    src={line.product.image}
                    alt=""
                    sizes="48px"
                    width={48}
                    height={48}
                    className="h-12 w-12 shrink-0 rounded bg-stone-100 object-cover"
                  />
                ) : (
                  <span className="h-12 w-12 shrink-0 rounded bg-stone-200" />
                )}
                <span className="flex-1">
                  {`${line.quantity} × ${line.product?.name ?? "A product that is no longer sold"}`}
                  {line.problem && <span className="block font-medium text-red-700">{line.problem}</span>}
                </span>
                <span className="shrink-0">{line.lineTotalCents > 0 ? formatPrice(line.lineTotalCents) : "—"}</span>
              </li>
            ))}
          </ul>
          <p className="mt-4 flex justify-between border-t border-stone-200 pt-4 font-medium">
            <span>Total</span>
            <span>{formatPrice(cart.subtotalCents)}</span>
          </p>
          <Link to={href("/cart")} className="mt-4 inline-block text-sm underline">
            Edit cart
          </Link>
        </aside>
        <Form method="post" noValidate ref={formRef} className="lg:col-start-1 lg:row-start-1" aria-describedby="checkout-note">
          <input type="hidden" name="checkoutToken" value={checkoutToken} />
          {cart.hasProblems && !failure && (
            <p className="mb-6 rounded border border-amber-700 bg-amber-50 px-4 py-3 text-sm text-amber-950">
              {"Some items in your cart cannot be bought as they are. "}
              <Link to={href("/cart")} className="font-medium underline">
                Review your cart
              </Link>
            </p>
          )}
          {(errors.form || fieldCount > 0) && (
            <div
              ref={alertRef}
              tabIndex={-1}
              role="alert"
              className="mb-6 rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900 focus:outline-2 focus:outline-red-700"
            >
              <p className="font-medium">
                {errors.form ?? `Please correct ${fieldCount === 1 ? "the field" : `${fieldCount} fields`} below.`}
              </p>
              {cart.hasProblems && (
                <Link to={href("/cart")} className="mt-2 inline-block font-medium underline">
                  Review your cart
                </Link>
              )}
            </div>
          )}
          <fieldset className="grid gap-4 sm:grid-cols-2">
            <legend className="mb-2 text-lg font-medium">Contact</legend>
            <Field
              name="email"
              label="Email"
              type="email"
              autoComplete="email"
              hint="For your receipt and to look the order up."
              defaultValue={values?.email}
              error={errors.email}
              className="sm:col-span-2"
            />
            <Field
              name="customerName"
              label="Full name"
              autoComplete="name"
              defaultValue={values?.customerName}
              error={errors.customerName}
              className="sm:col-span-2"
            />
          </fieldset>
          <fieldset className="mt-8 grid gap-4 sm:grid-cols-2">
            <legend className="mb-2 text-lg font-medium">Shipping address</legend>
            <Field
              name="addressLine1"
              label="Street address"
              autoComplete="address-line1"
              defaultValue={values?.addressLine1}
              error={errors.addressLine1}
              className="sm:col-span-2"
            />
            <Field
              name="addressLine2"
              label="Apartment, suite, etc."
              optional
              autoComplete="address-line2"
              defaultValue={values?.addressLine2}
              error={errors.addressLine2}
              className="sm:col-span-2"
            />
            <Field name="city" label="Town or city" autoComplete="address-level2" defaultValue={values?.city} error={errors.city} />
            <Field
              name="postalCode"
              label="Postal code"
              autoComplete="postal-code"
              defaultValue={values?.postalCode}
              error={errors.postalCode}
            />
            <SelectField
              name="country"
              label="Country"
              autoComplete="country"
              options={countries.map((c) => ({ value: c.code, label: c.name }))}
              defaultValue={values?.country}
              error={errors.country}
              className="sm:col-span-2"
            />
            <Field
              name="phone"
              label="Phone"
              optional
              type="tel"
              autoComplete="tel"
              hint="Only for the courier, if they cannot find you."
              defaultValue={values?.phone}
              error={errors.phone}
              className="sm:col-span-2"
            />
          </fieldset>
          <p id="checkout-note" className="mt-6 text-sm text-stone-600">
            {online
              ? "Next you pay on Stripe's secure page; your items are held for you meanwhile."
              : "Placing the order reserves the items. Pay by bank transfer or in person as the store tells you: we ship once the payment has arrived."}
          </p>
          <button
            type="submit"
            disabled={placing}
            className="mt-4 w-full rounded bg-stone-900 px-5 py-3 font-medium text-white hover:bg-stone-700 disabled:opacity-60 sm:w-auto"
          >
            {placing ? "Placing your order…" : `${online ? "Continue to payment" : "Place order"} · ${formatPrice(cart.subtotalCents)}`}
          </button>
        </Form>
      </div>
    </section>
  );
}
