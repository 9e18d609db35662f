import { Form } from "react-router";
import { buttonClass, fieldErrorCount, FormAlert, TextAreaField } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { useRef } from "react";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { useResetAfterSave } from "#app/ui/use-reset-after-save.ts";
import { MAX_IMAGE_PIXELS } from "#app/store/image-variants.ts";
import { getStoreCurrency, minorDigits } from "#app/core/money.ts";

// Loose on purpose: a failed save's values, or the product's own.
type Values = Partial<Record<string, string>>;
type Errors = Partial<Record<string, string>>;

/**
 * The product form for "New product" and "Edit". multipart/form-data, for
 * the image; it works without JavaScript like every other form.
 */
export function ProductForm({
  values,
  errors = {},
  currentImage,
  isNew,
  maxImageMb,
}: {
  values: Values;
  errors?: Errors;
  /** The product's image now (editing). */
  currentImage?: string;
  isNew: boolean;
  maxImageMb: number;
}) {
  const pending = useIsPending({ fields: { intent: "save" } });
  const form = useRef<HTMLFormElement>(null);
  // Saved: the fields show the saved values and the chosen file is dropped,
  // so a second Save does not upload the same image again.
  useResetAfterSave(form, { fields: { intent: "save" }, failed: Object.keys(errors).length > 0 });
  // An image uploaded with a submit that failed on another field is kept.
  const kept = values.uploadedImage || undefined;
  const image = kept ?? currentImage;
  return (
    <Form ref={form} method="post" encType="multipart/form-data" noValidate className="grid max-w-2xl gap-5">
      <input type="hidden" name="intent" value="save" />
      <input type="hidden" name="uploadedImage" value={kept ?? ""} />
      <FormAlert message={errors.form} fieldCount={fieldErrorCount(errors)} />
      <Field name="name" label="Name" defaultValue={values.name} error={errors.name} maxLength={120} />
      <div className="grid gap-5 sm:grid-cols-2">
        <Field
          name="sku"
          label="SKU"
          optional={isNew}
          hint={isNew ? "Your stock code, like KIT-107. Leave blank to get one like CS-000042." : "Your stock code. Unique."}
          defaultValue={values.sku}
          error={errors.sku}
          maxLength={40}
        />
        <Field
          name="slug"
          label="Web address"
          optional
          hint="The end of /products/…: lower-case letters, digits, dashes. Blank: made from the name."
          defaultValue={values.slug}
          error={errors.slug}
          maxLength={80}
        />
      </div>
      <div className="grid gap-5 sm:grid-cols-2">
        <Field
          name="price"
          label={`Price (${getStoreCurrency().toUpperCase()})`}
          inputMode={minorDigits(getStoreCurrency()) === 0 ? "numeric" : "decimal"}
          hint={minorDigits(getStoreCurrency()) === 0 ? "Like 1800" : "Like 12.50"} defaultValue={values.price} error={errors.price} />
        {isNew && (
          <Field
            name="stock"
            label="Stock on hand"
            inputMode="numeric"
            hint="Recorded as the opening balance in the stock history."
            defaultValue={values.stock ?? "0"}
            error={errors.stock}
          />
        )}
      </div>
      <TextAreaField name="description" label="Description" defaultValue={values.description} error={errors.description} maxLength={2000} />
      <div>
        <label htmlFor="image" className="block text-sm font-medium">
          Image <span className="font-normal text-stone-600">(optional)</span>
        </label>
        <p id="image-hint" className="text-sm text-stone-600">
          {`PNG, JPEG or WebP, at most ${maxImageMb} MB and ${MAX_IMAGE_PIXELS / 1_000_000} megapixels; stored without its metadata (camera, location).${image ? ` Leave empty to keep ${kept ? "the image you uploaded" : "the current image"}.` : ""}`}
        </p>
        {image && (
          <ProductImage
            src={image}
            alt={kept ? "Uploaded image" : "Current image"}
            sizes="96px"
            width={96}
            height={96}
            className="mt-2 size-24 rounded border border-stone-200 object-cover"
          />
        )}
        <input
          id="image"
          name="image"
          type="file"
          accept="image/png,image/jpeg,image/webp"
          aria-invalid={errors.image ? true : undefined}
          aria-describedby={errors.image ? "image-hint image-error" : "image-hint"}
          className="mt-2 block text-sm"
        />
        {errors.image && (
          <p id="image-error" className="mt-1 text-sm text-red-700">
            {errors.image}
          </p>
        )}
      </div>
      <div>
        <button type="submit" {...busyButton(pending)} className={buttonClass}>
          {pending ? "Saving…" : isNew ? "Create product" : "Save changes"}
        </button>
      </div>
    </Form>
  );
}
