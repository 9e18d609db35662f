import { data } from "react-router";
import type { z } from "zod";

/** Store forms are a few hundred bytes; anything this big is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * Reads a posted form, refusing what no store form sends: a body over 16 kB
 * (413), another content type such as JSON (415), or a body that does not
 * parse (400). The body is counted as it streams in, so a huge upload is cut
 * off rather than buffered. Thrown responses render the error page.
 */
export async function readForm(request: Request): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > MAX_FORM_BYTES) throw data("That form is too large.", { status: 413 });
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    throw data("Please send the form from the store's page.", { status: 415 });
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    size += read.value.byteLength;
    if (size > MAX_FORM_BYTES) {
      await reader!.cancel();
      throw data("That form is too large.", { status: 413 });
    }
    chunks.push(read.value);
  }
  try {
    return await new Response(new Blob(chunks), { headers: { "Content-Type": type } }).formData();
  } catch {
    throw data("The form could not be read. Please try again.", { status: 400 });
  }
}

/** The named fields as strings; a missing field, or a file in its place, is "". */
export function formValues<K extends string>(form: FormData, names: readonly K[]): Record<K, string> {
  const values = {} as Record<K, string>;
  for (const name of names) {
    const value = form.get(name);
    values[name] = typeof value === "string" ? value : "";
  }
  return values;
}

/** The first message for each invalid field, keyed by field name. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors;
}
