// The product form's action, shared by "New product" and "Edit": check every
// field of the multipart body and the image, save, and turn the database's
// unique-index refusals into messages beside the SKU or slug.
import { fieldErrors, formFailure, formValues, type FormErrors } from "#app/core/forms.server.ts";
import { imageTooLargeMessage, MAX_IMAGE_BYTES, PLACEHOLDER_IMAGE, storeImage, variantsStored } from "#app/store/images.server.ts";
import {
  DuplicateValue,
  initialStockSchema,
  productFields,
  productSchema,
  reservedSkuMessage,
  type ProductInput,
} from "#app/staff/product-admin.server.ts";

const fields = [...productFields, "stock", "uploadedImage", "intent"] as const;
export type ProductFormField = (typeof fields)[number] | "image";

/**
 * For readUploadForm: the image plus a little room for the other fields. A
 * larger body loses its image (the form's last field) and keeps the rest.
 */
export const PRODUCT_FORM_MAX_BYTES = MAX_IMAGE_BYTES + 64 * 1024;

const messages = {
  slug: "Another product already has this web address. Choose another.",
  sku: "Another product already has this SKU. SKUs must be unique.",
};

/**
 * Reads and checks the form. A good image is stored even when another field
 * is wrong, and its address goes back to the page in `uploadedImage`, so
 * fixing a typo does not mean choosing the file again. `droppedBytes`: the
 * body was past PRODUCT_FORM_MAX_BYTES and readUploadForm dropped the image.
 */
export async function checkProductForm(
  form: FormData,
  options: { isNew: boolean; currentSku?: string; databasePath: string; currency: string; droppedBytes?: number },
) {
  const values: Record<ProductFormField, string> = { ...formValues(form, fields), image: "" };
  const errors: FormErrors<ProductFormField> = {};

  const file = form.get("image");
  let image: string | undefined;
  if (options.droppedBytes) {
    errors.image = imageTooLargeMessage(options.droppedBytes);
  } else if (file instanceof File && file.size > 0) {
    const stored = await storeImage(options.databasePath, new Uint8Array(await file.arrayBuffer()));
    if (stored.ok) image = stored.url;
    else errors.image = stored.error;
  } else if (values.uploadedImage) {
    // Only an address this store made, with every variant on disk, is taken back.
    if (variantsStored(options.databasePath, values.uploadedImage)) image = values.uploadedImage;
  }
  values.uploadedImage = image ?? "";

  const parsed = productSchema(options.currency).safeParse(values);
  const stock = options.isNew ? initialStockSchema.safeParse(values) : undefined;
  if (!parsed.success) Object.assign(errors, fieldErrors(parsed.error));
  if (stock && !stock.success) Object.assign(errors, fieldErrors(stock.error));
  if (parsed.success) {
    if (!options.isNew && parsed.data.sku === "") errors.sku = "Enter a SKU: every product has one.";
    const reserved = reservedSkuMessage(parsed.data.sku, options.currentSku);
    if (reserved) errors.sku = reserved;
  }
  if (!parsed.success || (stock && !stock.success) || Object.keys(errors).length > 0) {
    return { ok: false as const, failure: formFailure(values, errors) };
  }
  return {
    ok: true as const,
    values,
    input: { ...parsed.data, image: image ?? "" },
    stock: stock?.success ? stock.data.stock : 0,
  };
}

/** Saves with `save`, answering a duplicate slug or SKU with a message beside that field (400). */
export function saveOrRefuse<T>(values: Record<ProductFormField, string>, save: () => T) {
  try {
    return { ok: true as const, result: save() };
  } catch (error) {
    if (!(error instanceof DuplicateValue)) throw error;
    return { ok: false as const, failure: formFailure(values, { [error.field]: messages[error.field] }) };
  }
}

/** The image for a product being created: the upload, or the placeholder. */
export function newProductImage(input: ProductInput) {
  return input.image || PLACEHOLDER_IMAGE;
}

export const MAX_IMAGE_MB = MAX_IMAGE_BYTES / 1024 / 1024;
