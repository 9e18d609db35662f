import { href, Link, redirect } from "react-router";
import { linkClass, PageHeading } from "#app/ui/kit.tsx";
import { ProductForm } from "#app/ui/product-form.tsx";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext } from "#app/core/env.server.ts";
import { code, notice } from "#app/core/notice.ts";
import { createProduct } from "#app/staff/product-admin.server.ts";
import { readUploadForm } from "#app/core/forms.server.ts";
import { checkProductForm, MAX_IMAGE_MB, newProductImage, PRODUCT_FORM_MAX_BYTES, saveOrRefuse } from "#app/staff/product-form.server.ts";
import { signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import type { Route } from "./+types/product-new";

export function meta() {
  return [{ title: "New product · Store admin" }];
}

export function loader() {
  return { maxImageMb: MAX_IMAGE_MB };
}

export async function action({ request, context }: Route.ActionArgs) {
  const { staff, sessionId } = signedInStaff(context);
  const { form: posted, droppedBytes } = await readUploadForm(request, { maxBytes: PRODUCT_FORM_MAX_BYTES });
  const form = await checkProductForm(posted, {
    isNew: true,
    droppedBytes,
    databasePath: context.get(configContext).DATABASE_PATH,
    currency: context.get(configContext).STORE_CURRENCY,
  });
  if (!form.ok) return form.failure;
  const db = context.get(databaseContext);
  const saved = saveOrRefuse(form.values, () =>
    createProduct(db, { ...form.input, image: newProductImage(form.input), stock: form.stock }, staff.id),
  );
  if (!saved.ok) return saved.failure;
  setNotice(db, sessionId, notice`Created ${form.input.name} (SKU ${code(saved.result.sku)}).`);
  return redirect(href("/admin/products/:productId", { productId: String(saved.result.id) }));
}

export default function NewProduct({ loaderData, actionData }: Route.ComponentProps) {
  const values = actionData?.values ?? {};
  return (
    <section>
      <p className="mb-2 text-sm">
        <Link to={href("/admin/products")} className={linkClass}>
          ← Products
        </Link>
      </p>
      <PageHeading title="New product" />
      <ProductForm values={values} errors={actionData?.errors} isNew maxImageMb={loaderData.maxImageMb} />
    </section>
  );
}
