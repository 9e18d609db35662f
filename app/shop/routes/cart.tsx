import { useEffect, useRef } from "react";
import { Form, href, Link, redirect } from "react-router";
import { EmptyCart } from "#app/ui/empty-cart.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { database } from "#app/db/connection.server.ts";
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
  return [{ title: "Your cart · Corner Store" }];
}

export function loader({ context }: Route.LoaderArgs) {
  const cart = readCart(getSession(context));
  return { ...getCartView(database(), cart), maxPerOrder: orderLimits().perProduct };
}

// Two forms post here: each line's quantity form (intent=update) and its
// Remove button (intent=remove). Each has its own schema. A change redirects
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
  } else if (values.intent === "update") {
    const parsed = cartLineSchema.safeParse(values);
    if (!parsed.success) return formFailure(values, parsed.error);
    const change = setQuantity(database(), cart, parsed.data);
    if (!change.ok) return formFailure(values, { quantity: change.error });
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
              <Link to="/checkout" className="rounded bg-stone-900 px-5 py-2.5 font-medium text-white hover:bg-stone-700">
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
  return (
    <li className="flex flex-wrap items-center gap-4 p-4">
      {product ? (
        <ProductImage src={product.image} alt="" sizes="64px" width={64} height={64} className="h-16 w-16 rounded bg-stone-100 object-cover" />
      ) : (
        <div className="h-16 w-16 rounded bg-stone-200" />
      )}
      <div className="min-w-40 flex-1">
        {product ? (
          <Link to={`/products/${product.slug}`} className="font-medium hover:underline">
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
      {product && product.stock > 0 && (
        <Form method="post" noValidate className="flex items-end gap-2">
          <input type="hidden" name="productId" value={line.productId} />
          <div className="flex flex-col">
            <label htmlFor={id} className="text-xs font-medium text-stone-700">
              Quantity<span className="sr-only">{` of ${product.name}`}</span>
            </label>
            <input
              ref={inputRef}
              id={id}
              name="quantity"
              type="number"
              inputMode="numeric"
              min={1}
              max={Math.min(product.stock, maxPerOrder)}
              step={1}
              required
              defaultValue={submitted ?? line.quantity}
              key={submitted ?? line.quantity}
              aria-invalid={message ? true : undefined}
              aria-describedby={message ? messageId : undefined}
              className="mt-1 w-20 rounded border border-stone-400 bg-white px-2 py-1.5 aria-invalid:border-red-700"
            />
          </div>
          <button
            type="submit"
            name="intent"
            value="update"
            disabled={busy}
            className="rounded border border-stone-400 bg-white px-3 py-1.5 text-sm hover:bg-stone-100 disabled:opacity-60"
          >
            Update<span className="sr-only">{` ${product.name}`}</span>
          </button>
        </Form>
      )}
      <p className="w-24 text-right font-medium">{line.lineTotalCents > 0 ? formatPrice(line.lineTotalCents) : "—"}</p>
      <Form method="post">
        <input type="hidden" name="productId" value={line.productId} />
        <button
          type="submit"
          name="intent"
          value="remove"
          disabled={busy}
          className="text-sm text-red-800 underline hover:text-red-600 disabled:opacity-60"
        >
          Remove<span className="sr-only">{` ${product?.name ?? "the product that is no longer sold"}`}</span>
        </button>
      </Form>
    </li>
  );
}
