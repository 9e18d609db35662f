import { data, Form, href, Link, redirect } from "react-router";
import { FormAlert, linkClass, PageHeading, secondaryButtonClass, StatusBadge } from "#app/ui/kit.tsx";
import { ProductForm } from "#app/ui/product-form.tsx";
import { useIsPending } from "#app/ui/use-is-pending.ts";
import { databaseContext, type AppDatabase } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { getStoreCurrency, priceInputValue } from "#app/core/money.ts";
import { formFailure, readUploadForm } from "#app/core/forms.server.ts";
import { deleteProduct, getAdminProduct, setArchived, updateProduct } from "#app/staff/product-admin.server.ts";
import { checkProductForm, MAX_IMAGE_MB, PRODUCT_FORM_MAX_BYTES, saveOrRefuse } from "#app/staff/product-form.server.ts";
import { idParam } from "#app/web/route-params.server.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import { ConfirmAction } from "#app/ui/confirm-action.tsx";
import type { Route } from "./+types/product-edit";

export function meta({ loaderData }: Route.MetaArgs) {
  return [{ title: `${loaderData?.product.name ?? "Product"} · Store admin` }];
}

function loadProduct(db: AppDatabase, id: number) {
  const product = getAdminProduct(db, id);
  if (!product) throw data("There is no such product.", { status: 404 });
  return product;
}

export function loader({ params, context }: Route.LoaderArgs) {
  return { product: loadProduct(context.get(databaseContext), idParam(params.productId, "product")), maxImageMb: MAX_IMAGE_MB };
}

export async function action({ request, params, context }: Route.ActionArgs) {
  const { sessionId } = signedInStaff(context);
  const id = idParam(params.productId, "product");
  const db = context.get(databaseContext);
  const product = loadProduct(db, id);
  const { form, droppedBytes } = await readUploadForm(request, { maxBytes: PRODUCT_FORM_MAX_BYTES });
  const intent = form.get("intent");

  if (intent === "save") {
    const checked = await checkProductForm(form, { isNew: false, currentSku: product.sku, databasePath: context.get(configContext).DATABASE_PATH, currency: context.get(configContext).STORE_CURRENCY, droppedBytes });
    if (!checked.ok) return checked.failure;
    const saved = saveOrRefuse(checked.values, () =>
      updateProduct(db, id, { ...checked.input, image: checked.input.image || product.image }),
    );
    if (!saved.ok) return saved.failure;
    if (!saved.result) throw data("There is no such product.", { status: 404 });
    setNotice(db, sessionId, `Saved ${checked.input.name}.`);
    return redirect(href("/admin/products/:productId", { productId: String(id) }));
  }
  if (intent === "archive" || intent === "unarchive") {
    setArchived(db, id, intent === "archive");
    setNotice(
      db,
      sessionId,
      intent === "archive"
        ? `Archived ${product.name}: it is no longer in the catalog or for sale.`
        : `${product.name} is on sale again.`,
    );
    return redirect(href("/admin/products/:productId", { productId: String(id) }));
  }
  if (intent === "delete") {
    const result = deleteProduct(db, id);
    if (result === "sold") {
      return formFailure(
        { intent: "delete" },
        { form: `${product.name} has been sold, so its orders still need it. Archive it instead: that takes it off sale.` },
        409,
      );
    }
    setNotice(db, sessionId, `Deleted ${product.name}.`);
    return redirect(href("/admin/products"));
  }
  return formFailure({ intent: String(intent ?? "") }, { form: "That button is not one this page has. Reload the page and try again." });
}

export default function EditProduct({ loaderData, actionData }: Route.ComponentProps) {
  const { product, maxImageMb } = loaderData;
  const saveFailure = actionData?.values.intent === "save" ? actionData : undefined;
  const otherFailure = actionData && !saveFailure ? actionData.errors.form : undefined;
  const archiving = useIsPending({ fields: { intent: product.archivedAt ? "unarchive" : "archive" } });
  const deleting = useIsPending({ fields: { intent: "delete" } });
  const values = saveFailure?.values ?? {
    name: product.name,
    slug: product.slug,
    sku: product.sku,
    price: priceInputValue(product.priceCents, getStoreCurrency()),
    description: product.description,
  };
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/products")} className={linkClass}>
          ← Products
        </Link>
      </p>
      <PageHeading title={product.name}>
        <StatusBadge status={product.archivedAt ? "archived" : "active"} label={product.archivedAt ? "Archived" : "On sale"} />
      </PageHeading>
      <div className="grid gap-10 lg:grid-cols-[1fr_18rem]">
        <ProductForm values={values} errors={saveFailure?.errors} currentImage={product.image} isNew={false} maxImageMb={maxImageMb} />
        <aside className="grid h-fit gap-6">
          <div className="rounded-lg border border-stone-200 bg-white p-4">
            <h2 className="font-medium">Stock</h2>
            <p className="mt-1 text-2xl font-semibold">{product.stock}</p>
            <Link to={href("/admin/products/:productId/stock", { productId: String(product.id) })} className={`mt-2 inline-block text-sm ${linkClass}`}>
              Adjust stock and see its history
            </Link>
          </div>
          <div className="rounded-lg border border-stone-200 bg-white p-4">
            <h2 className="font-medium">{product.archivedAt ? "Archived" : "On sale"}</h2>
            {!product.archivedAt && (
              <p className="mt-1 text-sm">
                <Link to={href("/products/:slug", { slug: product.slug })} className={linkClass}>
                  View in the store
                </Link>
              </p>
            )}
            <FormAlert message={otherFailure} />
            {product.archivedAt ? (
              <Form method="post" className="mt-3">
                <input type="hidden" name="intent" value="unarchive" />
                <p className="mb-3 text-sm text-stone-700">
                  Hidden from the catalog and search, and nobody can buy it. Past orders still show it.
                </p>
                <button type="submit" disabled={archiving} className={secondaryButtonClass}>
                  {archiving ? "Putting back on sale…" : "Put back on sale"}
                </button>
              </Form>
            ) : (
              <div className="mt-3">
                <p className="mb-3 text-sm text-stone-700">
                  Archiving hides it from the catalog and search and stops sales. Carts and past orders still show it.
                </p>
                <ConfirmAction
                  id="archive"
                  trigger="Archive…"
                  triggerClassName={secondaryButtonClass}
                  title={`Archive ${product.name}?`}
                  confirm={archiving ? "Archiving…" : "Archive product"}
                  keep="Keep it on sale"
                  fields={{ intent: "archive" }}
                >
                  {"It leaves the catalog and search at once, and shoppers who have it in their cart can no longer order it. Put back on sale undoes it."}
                </ConfirmAction>
              </div>
            )}
            {!product.sold && (
              <div className="mt-4 border-t border-stone-200 pt-4">
                <p className="mb-3 text-sm text-stone-700">Never sold, so it can still be deleted for good.</p>
                <ConfirmAction
                  id="delete"
                  trigger="Delete product…"
                  title={`Delete ${product.name}?`}
                  confirm={deleting ? "Deleting…" : "Delete product"}
                  keep="Keep the product"
                  fields={{ intent: "delete" }}
                >
                  {"It goes for good, with its stock history. Archive it instead to only stop selling it."}
                </ConfirmAction>
              </div>
            )}
          </div>
        </aside>
      </div>
    </section>
  );
}
