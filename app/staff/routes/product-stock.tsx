import { data, Form, href, Link, redirect, type ShouldRevalidateFunctionArgs, useSearchParams } from "react-router";
import { buttonClass, fieldErrorCount, FormAlert, formatDateTime, linkClass, NoBreak, PageHeading, StatusBadge } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { Pagination } from "#app/ui/pagination.tsx";
import { useRef } from "react";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { useResetAfterSave } from "#app/ui/use-reset-after-save.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { formFailure, formValues, readForm } from "#app/core/forms.server.ts";
import { adjustmentSchema, adjustStock, productStock, stockHistory } from "#app/store/inventory.server.ts";
import { idParam } from "#app/web/route-params.server.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import type { Route } from "./+types/product-stock";
import { TableScroller } from "#app/ui/table-scroller.tsx";

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `Stock: ${loaderData?.product.name ?? "product"} · Store admin` }];
}

export function loader({ params, request, context }: Route.LoaderArgs) {
  const id = idParam(params.productId, "product");
  const db = context.get(databaseContext);
  const product = productStock(db, id);
  if (!product) throw data("There is no such product.", { status: 404 });
  const page = Number.parseInt(new URL(request.url).searchParams.get("page") ?? "1", 10);
  return { product, history: stockHistory(db, id, page) };
}

// A 409 means the stock changed under the page: load it again.
export function shouldRevalidate({ actionStatus, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return actionStatus === 409 || defaultShouldRevalidate;
}

export async function action({ request, params, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const productId = idParam(params.productId, "product");
  const values = formValues(await readForm(request), ["delta", "note"]);
  const parsed = adjustmentSchema.safeParse(values);
  if (!parsed.success) return formFailure(values, parsed.error);

  const db = context.get(databaseContext);
  const result = adjustStock(db, { productId, ...parsed.data, staffId: staff.id });
  if (result.status === "missing") throw data("There is no such product.", { status: 404 });
  if (result.status === "negative") {
    // Someone may have sold or adjusted some since the page was loaded: say
    // what there is now (the page reloads with it).
    return formFailure(values, { delta: `There are only ${result.stock} in stock now: stock cannot go below 0.` }, 409);
  }
  setNotice(db, sessionId, `Stock changed by ${parsed.data.delta > 0 ? "+" : ""}${parsed.data.delta}: ${result.stock} in stock now.`);
  return redirect(href("/admin/products/:productId/stock", { productId: String(productId) }));
}

const reasons = { initial: "Opening balance", sale: "Sale", cancellation: "Cancelled order", adjustment: "Adjustment" } as const;

export default function ProductStock({ loaderData, actionData }: Route.ComponentProps) {
  const { product, history } = loaderData;
  const [searchParams] = useSearchParams();
  const pending = useIsPending();
  const errors = actionData?.errors ?? {};
  const adjustForm = useRef<HTMLFormElement>(null);
  // Saved: an empty form, so a second press cannot apply the same change twice.
  useResetAfterSave(adjustForm, { failed: Boolean(actionData), clear: true });
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/products/:productId", { productId: String(product.id) })} className={linkClass}>
          {`← ${product.name}`}
        </Link>
      </p>
      <PageHeading title={`Stock: ${product.name}`}>
        {product.archivedAt && <StatusBadge status="archived" label="Archived" />}
      </PageHeading>
      <p className="text-stone-700">
        {"SKU "}
        <NoBreak className="font-mono">{product.sku}</NoBreak>
        {" · "}
        <span className="font-semibold">{`${product.stock} in stock`}</span>
      </p>

      <h2 className="mt-8 text-lg font-medium">Adjust stock</h2>
      <Form ref={adjustForm} method="post" noValidate className="mt-3 grid max-w-xl gap-4">
        <FormAlert message={errors.form} fieldCount={fieldErrorCount(errors)} />
        <div className="grid gap-4 sm:grid-cols-[10rem_1fr]">
          <Field
            name="delta"
            label="Change by"
            inputMode="numeric"
            hint="5 adds, -2 removes."
            defaultValue={actionData?.values.delta}
            error={errors.delta}
          />
          <Field
            name="note"
            label="Why"
            hint="Kept in the history below."
            defaultValue={actionData?.values.note}
            error={errors.note}
            maxLength={200}
          />
        </div>
        <div>
          <button type="submit" {...busyButton(pending)} className={buttonClass}>
            {pending ? "Saving…" : "Save adjustment"}
          </button>
        </div>
      </Form>

      <h2 className="mt-10 text-lg font-medium">History</h2>
      <p className="text-sm text-stone-600">{`Every change to this product's stock, newest first (${history.total}).`}</p>
      {history.items.length > 0 && (
        <TableScroller label="Stock history" className="mt-3">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-stone-300 text-stone-600">
              <tr>
                <th scope="col" className="py-2 pr-4 font-medium">When</th>
                <th scope="col" className="py-2 pr-4 font-medium">What</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Change</th>
                <th scope="col" className="py-2 pr-4 text-right font-medium">Stock after</th>
                <th scope="col" className="py-2 font-medium">By</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-200">
              {history.items.map((m) => (
                <tr key={m.id}>
                  <td className="py-2 pr-4 whitespace-nowrap">{formatDateTime(m.createdAt)}</td>
                  <td className="py-2 pr-4">
                    {reasons[m.reason]}
                    {m.orderId !== null && (
                      <>
                        {" "}
                        <Link to={href("/admin/orders/:orderId", { orderId: String(m.orderId) })} className={linkClass}>
                          <NoBreak>{m.orderNumber}</NoBreak>
                        </Link>
                      </>
                    )}
                    {m.note && <span className="block text-stone-600">{m.note}</span>}
                  </td>
                  <td className="py-2 pr-4 text-right font-mono">{m.delta > 0 ? `+${m.delta}` : m.delta}</td>
                  <td className="py-2 pr-4 text-right font-mono">{m.balance}</td>
                  <td className="py-2">{m.staffEmail ?? (m.reason === "sale" ? "Shopper" : "The store")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroller>
      )}
      <Pagination page={history.page} pageCount={history.pageCount} searchParams={searchParams} />
    </section>
  );
}
