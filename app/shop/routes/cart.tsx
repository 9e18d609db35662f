import { useEffect, useRef } from "react";
import { Form, href, Link, redirect } from "react-router";
import { EmptyCart } from "#app/ui/empty-cart.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import {
  cartLineSchema,
  getCartView,
  orderLimits,
  removeFromCart,
  removeLineSchema,
  setQuantity,
  type CartViewLine,
} from "#app/shop/cart.server.ts";
import { formFailure, formValues, readForm, type FormErrors } from "#app/core/forms.server.ts";
import { formatPrice } from "#app/core/money.ts";
import { getSession, readCart, writeCart } from "#app/web/session.server.ts";
import type { Route } from "./+types/cart";

export function meta() {
  // A shopper's own cart: nothing for a search engine to index.
  return [
    { title: "Your cart · Corner Store" },
    { name: "description", content: "The products in your cart, their quantities and the subtotal." },
    { name: "robots", content: "noindex" },
  ];
}

export function loader({ context }: Route.LoaderArgs) {
  const cart = readCart(getSession(context));
  return { ...getCartView(context.get(databaseContext), cart), maxPerOrder: orderLimits(context.get(configContext)).perProduct };
}

// Two forms post here: each line's quantity form (intent=update, or its
// − and + buttons: decrease, increase) and its Remove button (intent=remove). Each has its own schema. A change redirects
// back here, so the page is rendered from the new cookie and a reload does
// not post again; a refusal answers 400, and the page shows the message next
// to the line whose productId it carries.
export async function action({ request, context }: Route.ActionArgs) {
  const form = await readForm(request);
  const values = formValues(form, ["intent", "productId", "quantity"]);

  const session = getSession(context);
  const cart = readCart(session);
  if (values.intent === "remove") {
    const parsed = removeLineSchema.safeParse(values);
    if (!parsed.success) return formFailure(values, parsed.error);
    writeCart(session, removeFromCart(cart, parsed.data.productId));
    session.flash("notice", "Removed the item from your cart.");
  } else if (values.intent === "update" || values.intent === "decrease" || values.intent === "increase") {
    // − and + are submit buttons of the line's form (they work without
    // JavaScript): one less or one more than the cart holds now, checked
    // like a typed quantity.
    const current = cart.find((l) => String(l.productId) === values.productId)?.quantity;
    const step = values.intent === "decrease" ? -1 : values.intent === "increase" ? 1 : 0;
    const line = step === 0 || current === undefined ? values : { ...values, quantity: String(current + step) };
    const limits = orderLimits(context.get(configContext));
    const parsed = cartLineSchema(limits).safeParse(line);
    if (!parsed.success) return formFailure(line, parsed.error);
    const change = setQuantity(context.get(databaseContext), cart, parsed.data, limits);
    if (!change.ok) return formFailure(line, { quantity: change.error });
    writeCart(session, change.cart);
    session.flash("notice", `Updated ${change.name} to ${parsed.data.quantity}.`);
  } else {
    return formFailure(values, { form: "Unknown cart action." });
  }
  return redirect(href("/cart"));
}

export default function Cart({ loaderData, actionData }: Route.ComponentProps) {
  const { lines, subtotalCents, itemCount, hasProblems } = loaderData;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const lineCount = useRef(lines.length);
  useEffect(() => {
    // A removed line takes the focused Remove button with it: move focus to
    // the heading rather than let it fall back to the top of the document.
    if (lines.length < lineCount.current) headingRef.current?.focus();
    lineCount.current = lines.length;
  }, [lines.length]);
  // A refusal is shown next to the line it is about; one about a line that
  // is not on the page (already removed, or a tampered form) at the top.
  const failedLine = lines.find((l) => String(l.productId) === actionData?.values.productId);
  const strayError = actionData && !failedLine ? firstMessage(actionData.errors) : null;

  return (
    <section>
      <h1 ref={headingRef} tabIndex={-1} className="text-2xl font-semibold tracking-tight focus:outline-none">
        Your cart
      </h1>
      {strayError && (
        <p role="alert" className="mt-4 rounded border border-red-700 bg-red-50 px-4 py-3 text-sm text-red-900">
          {strayError}
        </p>
      )}
      {lines.length === 0 ? (
        <EmptyCart />
      ) : (
        <>
          <ul className="mt-6 divide-y divide-stone-200 rounded-lg border border-stone-200 bg-white">
            {lines.map((line) => (
              <CartRow
                key={line.productId}
                line={line}
                error={line === failedLine ? firstMessage(actionData!.errors) : null}
                submitted={line === failedLine ? actionData!.values.quantity : undefined}
                maxPerOrder={loaderData.maxPerOrder}
              />
            ))}
          </ul>
          <div className="mt-6 flex flex-col items-end gap-3">
            <p className="text-lg">
              {`Subtotal (${itemCount} ${itemCount === 1 ? "item" : "items"}): `}
              <strong>{formatPrice(subtotalCents)}</strong>
            </p>
            {hasProblems ? (
              <p className="text-sm font-medium text-red-700">
                Some items cannot be bought as they are. Change or remove them to check out.
              </p>
            ) : (
              <Link to={href("/checkout")} className="rounded bg-stone-900 px-5 py-2.5 font-medium text-white hover:bg-stone-700">
                Check out
              </Link>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** The one message a cart form's refusal carries, whichever field it is about. */
function firstMessage(errors: FormErrors<string>): string | null {
  return Object.values(errors).find((message) => message !== undefined) ?? null;
}

function CartRow({
  line,
  error,
  submitted,
  maxPerOrder,
}: {
  line: CartViewLine;
  error: string | null;
  submitted?: string;
  maxPerOrder: number;
}) {
  const busy = useIsPending({ fields: { productId: String(line.productId) } });
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (error) inputRef.current?.focus();
  }, [error]);
  const { product } = line;
  const id = `quantity-${line.productId}`;
  const messageId = `${id}-message`;
  const message = error ?? line.problem;
  const max = product ? Math.min(product.stock, maxPerOrder) : 0;
  const stepClass =
    "h-9 w-9 rounded border border-stone-400 bg-white text-lg leading-none hover:bg-stone-100 aria-disabled:opacity-40";
  // A phone gets two tidy lines: the product and its total, then the
  // quantity controls and Remove. Wider screens put it all on one. With the
  // browser's text much larger, the total moves under the name rather than
  // over it, and the controls wrap.
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-3 p-4 sm:flex-nowrap sm:gap-4">
      {product ? (
        <ProductImage src={product.image} alt="" sizes="64px" width={64} height={64} className="h-16 w-16 shrink-0 rounded bg-stone-100 object-cover" />
      ) : (
        <div className="h-16 w-16 shrink-0 rounded bg-stone-200" />
      )}
      <div className="min-w-28 flex-1">
        {product ? (
          <Link to={href("/products/:slug", { slug: product.slug })} className="font-medium hover:underline">
            {product.name}
          </Link>
        ) : (
          <span className="font-medium text-stone-700">A product that is no longer sold</span>
        )}
        {product && <p className="text-sm text-stone-600">{`${formatPrice(product.priceCents)} each`}</p>}
        {message && (
          <p id={messageId} className="mt-1 text-sm font-medium text-red-700">
            {message}
          </p>
        )}
      </div>
      <p className="ml-auto text-right font-medium sm:order-last sm:w-24">{line.lineTotalCents > 0 ? formatPrice(line.lineTotalCents) : "—"}</p>
      <div className="flex basis-full flex-wrap items-center justify-between gap-3 sm:contents">
        {product && product.stock > 0 ? (
          <Form method="post" noValidate className="flex flex-wrap items-center gap-1.5">
            <input type="hidden" name="productId" value={line.productId} />
            {/* Enter in the quantity field presses a form's first submit button:
                this one, not −. Out of sight and out of the tab order. */}
            <button type="submit" name="intent" value="update" tabIndex={-1} aria-hidden="true" className="sr-only">
              Update
            </button>
            <label htmlFor={id} className="sr-only text-xs font-medium text-stone-700 sm:not-sr-only sm:mr-1">
              Quantity<span className="sr-only">{` of ${product.name}`}</span>
            </label>
            <button
              type="submit"
              name="intent"
              value="decrease"
              className={stepClass}
              {...busyButton(busy || line.quantity <= 1)}
            >
              <span aria-hidden="true">−</span>
              <span className="sr-only">{`One fewer ${product.name}`}</span>
            </button>
            <input
              ref={inputRef}
              id={id}
              name="quantity"
              type="number"
              inputMode="numeric"
              min={1}
              max={max}
              step={1}
              required
              defaultValue={submitted ?? line.quantity}
              key={submitted ?? line.quantity}
              aria-invalid={message ? true : undefined}
              aria-describedby={message ? messageId : undefined}
              className="h-9 w-14 rounded border border-stone-400 bg-white px-2 text-center aria-invalid:border-red-700"
            />
            <button
              type="submit"
              name="intent"
              value="increase"
              className={stepClass}
              {...busyButton(busy || line.quantity >= max)}
            >
              <span aria-hidden="true">+</span>
              <span className="sr-only">{`One more ${product.name}`}</span>
            </button>
            <button
              type="submit"
              name="intent"
              value="update"
              className="ml-1 h-9 rounded border border-stone-400 bg-white px-3 text-sm hover:bg-stone-100 aria-disabled:opacity-60"
              {...busyButton(busy)}
            >
              Update<span className="sr-only">{` ${product.name}`}</span>
            </button>
          </Form>
        ) : (
          <span />
        )}
        <Form method="post">
          <input type="hidden" name="productId" value={line.productId} />
          <button
            type="submit"
            name="intent"
            value="remove"
            className="text-sm text-red-800 underline hover:text-red-600 aria-disabled:opacity-60"
            {...busyButton(busy)}
          >
            Remove<span className="sr-only">{` ${product?.name ?? "the product that is no longer sold"}`}</span>
          </button>
        </Form>
      </div>
    </li>
  );
}
