import { Form } from "react-router";
import { buttonClass, fieldErrorCount, FormAlert, secondaryButtonClass, TextAreaField } from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { useEffect, useRef, useState } from "react";
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
  errors: failure,
  currentImage,
  isNew,
  maxImageMb,
}: {
  values: Values;
  /** The failed save's messages: a new object for each failed save. */
  errors?: Errors;
  /** The product's image now (editing). */
  currentImage?: string;
  isNew: boolean;
  maxImageMb: number;
}) {
  const errors = failure ?? {};
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
      <ImagePicker
        image={image}
        kept={Boolean(kept)}
        error={errors.image}
        failure={failure}
        hint={`PNG, JPEG or WebP, at most ${maxImageMb} MB and ${MAX_IMAGE_PIXELS / 1_000_000} megapixels; stored without its metadata (camera, location).${image ? ` Leave empty to keep ${kept ? "the image you uploaded" : "the current image"}.` : ""}`}
        form={form}
      />
      <div>
        <button type="submit" {...busyButton(pending)} className={buttonClass}>
          {pending ? "Saving…" : isNew ? "Create product" : "Save changes"}
        </button>
      </div>
    </Form>
  );
}

/** The native control, its "Choose file" button drawn like the store's other buttons. */
const fileInputClass =
  "block max-w-full text-sm text-stone-700 file:mr-3 file:cursor-pointer file:rounded file:border file:border-stone-400 file:bg-white file:px-4 file:py-2 file:font-medium file:text-stone-900 hover:file:bg-stone-100";

/**
 * The product's image: the one it has, and a file input to replace it.
 *
 * - Without JavaScript it is the browser's own file input (so it always
 *   works, and the browser shows the chosen file's name), styled like a
 *   button, with the current image above it.
 * - With JavaScript, a chosen image is previewed before saving (an object
 *   URL, revoked when it is replaced, removed or the form goes), and
 *   "Remove chosen file" drops the choice. The form's reset (after a save:
 *   useResetAfterSave) and a refusal of the file both drop it too, so the
 *   page never shows a preview of a file that is not chosen.
 */
function ImagePicker({
  image,
  kept,
  error,
  failure,
  hint,
  form,
}: {
  image?: string;
  kept: boolean;
  error?: string;
  /** Which failed save `error` comes from: the same file refused twice has the same message. */
  failure?: object;
  hint: string;
  form: React.RefObject<HTMLFormElement | null>;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<{ name: string; url?: string } | null>(null);

  // Each preview's object URL lives until the next choice or the form goes.
  useEffect(() => {
    const url = chosen?.url;
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [chosen]);

  useEffect(() => {
    const element = form.current;
    if (!element) return;
    const drop = () => setChosen(null);
    element.addEventListener("reset", drop);
    return () => element.removeEventListener("reset", drop);
  }, [form]);

  // The server refused the file: choosing again starts from nothing, as
  // the page without JavaScript does. The other fields keep what was typed.
  // Keyed on the failed save, not the message: the same file refused again
  // brings the same message, and must be dropped again.
  useEffect(() => {
    if (!error || !input.current) return;
    input.current.value = "";
    setChosen(null);
  }, [error, failure]);

  const choose = (event: React.ChangeEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    // Only what the browser takes for an image is previewed; the server
    // checks the bytes either way.
    setChosen(file ? { name: file.name, url: file.type.startsWith("image/") ? URL.createObjectURL(file) : undefined } : null);
  };
  const remove = () => {
    if (input.current) input.current.value = "";
    setChosen(null);
    input.current?.focus();
  };

  return (
    <div>
      <label htmlFor="image" className="block text-sm font-medium">
        Image <span className="font-normal text-stone-600">(optional)</span>
      </label>
      <p id="image-hint" className="text-sm text-stone-600">
        {hint}
      </p>
      {(image || chosen?.url) && (
        <div className="mt-2 flex flex-wrap items-start gap-4">
          {image && (
            <figure className="text-xs text-stone-600">
              <ProductImage
                src={image}
                alt={kept ? "Uploaded image" : "Current image"}
                sizes="96px"
                width={96}
                height={96}
                className="size-24 rounded border border-stone-200 object-cover"
              />
              <figcaption className="mt-1">{kept ? "Uploaded" : "Now"}</figcaption>
            </figure>
          )}
          {chosen?.url && (
            <figure className="text-xs text-stone-600">
              <img
                src={chosen.url}
                alt="Preview of the chosen image"
                // Not an image after all (the server will say so): no broken picture.
                onError={() => setChosen((now) => (now ? { name: now.name } : now))}
                width={96}
                height={96}
                className="size-24 rounded border-2 border-blue-700 object-cover"
              />
              <figcaption className="mt-1">Chosen, not saved yet</figcaption>
            </figure>
          )}
        </div>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <input
          ref={input}
          id="image"
          name="image"
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={choose}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "image-hint image-error" : "image-hint"}
          className={fileInputClass}
        />
        {chosen && (
          <button type="button" onClick={remove} className={`${secondaryButtonClass} text-sm`}>
            Remove chosen file<span className="sr-only">{`: ${chosen.name}`}</span>
          </button>
        )}
      </div>
      {error && (
        <p id="image-error" className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
