import { data } from "react-router";
import { z } from "zod";

/** Store forms are a few hundred bytes; anything this big is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * How much of a refused body is read and thrown away before answering: a
 * client still sending when the connection closes gets a reset, and its user
 * a browser error instead of the page saying what was wrong.
 */
const MAX_DISCARD_BYTES = 1024 * 1024;

/**
 * Reads a posted form, refusing what no store form sends: a body over 16 kB
 * (413), another content type such as JSON (415), or a body that does not
 * parse (400). The body is counted as it streams in, so a huge upload is
 * never buffered. Thrown responses render the error page. A form with a file
 * upload passes a larger `maxBytes`.
 */
export async function readForm(request: Request, { maxBytes = MAX_FORM_BYTES } = {}): Promise<FormData> {
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  const type = request.headers.get("Content-Type") ?? "";
  const reader = request.body?.getReader();
  const refuse = async (message: string, status: number): Promise<never> => {
    await discard(reader, declared);
    throw data(message, { status });
  };
  if (declared > maxBytes) return refuse("That form is too large.", 413);
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return refuse("Please send the form from the store's page.", 415);
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    size += read.value.byteLength;
    if (size > maxBytes) return refuse("That form is too large.", 413);
    chunks.push(read.value);
  }
  return parseForm(chunks, type);
}

/** The form in a body read whole; a body that does not parse is a 400. */
async function parseForm(body: Uint8Array<ArrayBuffer>[], type: string): Promise<FormData> {
  try {
    return await new Response(new Blob(body), { headers: { "Content-Type": type } }).formData();
  } catch {
    throw data("The form could not be read. Please try again.", { status: 400 });
  }
}

/**
 * The most of an upload form's body read (and past `maxBytes`, thrown away)
 * before it is refused whole: a phone or camera photo is well under it.
 */
const MAX_UPLOAD_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Reads a multipart form whose last field is a file (the product form's
 * image). A body past `maxBytes` is not refused whole as readForm does: the
 * person who chose a 12 MB phone photo would lose what they typed to an error
 * page. Browsers send fields in the form's order, so the fields before the
 * file are whole in the first `maxBytes`: the part that was cut (the file)
 * and anything after it are dropped, the rest is read and thrown away (so
 * the browser, still sending, gets the answer), and `droppedBytes` says how
 * big the dropped part was, for the field's message. Past
 * MAX_UPLOAD_BODY_BYTES, or for a form that is not multipart, it answers as
 * readForm does.
 */
export async function readUploadForm(request: Request, { maxBytes }: { maxBytes: number }): Promise<{ form: FormData; droppedBytes: number }> {
  const type = request.headers.get("Content-Type") ?? "";
  const boundary = /^multipart\/form-data\s*;.*\bboundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return { form: await readForm(request, { maxBytes }), droppedBytes: 0 };
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  const reader = request.body?.getReader();
  const tooLarge = () => data("That form is too large.", { status: 413 });
  if (declared > MAX_UPLOAD_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
    if (size < maxBytes) chunks.push(read.value.subarray(0, maxBytes - size));
    size += read.value.byteLength;
    if (size > MAX_UPLOAD_BODY_BYTES) {
      await reader!.cancel().catch(() => {});
      throw tooLarge();
    }
  }
  const kept = Buffer.concat(chunks);
  let body: Uint8Array = kept;
  let droppedBytes = 0;
  if (size > maxBytes) {
    // Everything before the delimiter that opens the part that was cut.
    const cut = kept.lastIndexOf(`\r\n--${boundary}`);
    if (cut < 0) return { form: new FormData(), droppedBytes: size };
    body = Buffer.concat([kept.subarray(0, cut), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    droppedBytes = size - cut;
  }
  return { form: await parseForm([body as Uint8Array<ArrayBuffer>], type), droppedBytes };
}

async function discard(reader: ReadableStreamDefaultReader<Uint8Array> | undefined, declared: number) {
  if (!reader || declared > MAX_DISCARD_BYTES) return;
  let size = 0;
  try {
    for (let read = await reader.read(); !read.done && size <= MAX_DISCARD_BYTES; read = await reader.read()) {
      size += read.value.byteLength;
    }
  } catch {
    // The client went away: nothing left to protect.
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

/** A message per field that needs fixing; `form` is about the form as a whole. */
export type FormErrors<Field extends string> = Partial<Record<Field | "form", string>>;

/**
 * What every action answers when it cannot accept a form: the messages, and
 * the values as the user sent them, so the page shows the form again as it
 * was (with JavaScript or without) instead of emptying it.
 */
export type FormFailure<Field extends string> = { errors: FormErrors<Field>; values: Record<Field, string> };

/**
 * The one way an action refuses a form: 400 by default (409 when the data
 * changed under the user, 404 for a lookup that found nothing, 401/429 for a
 * sign-in), with any extra headers (Retry-After). `errors` is
 * a zod error from parsing `values`, or messages keyed by field.
 */
export function formFailure<Field extends string>(
  values: Record<Field, string>,
  errors: FormErrors<NoInfer<Field>> | z.ZodError,
  status = 400,
  headers?: HeadersInit,
) {
  return data<FormFailure<Field>>({ errors: errors instanceof z.ZodError ? fieldErrors(errors) : errors, values }, { status, headers });
}

/** The first message for each invalid field, keyed by field name ("form" for the form as a whole). */
export function fieldErrors<Field extends string>(error: Pick<z.ZodError, "issues">): FormErrors<Field> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors as FormErrors<Field>;
}

/**
 * True when the browser posted the form itself, without JavaScript: a 4xx
 * page in the history makes Back or reload offer to post again, so such a
 * refusal is a 303 back to the form instead (decision 033). Sec-Fetch-Mode
 * is sent only to secure origins; over plain HTTP a navigation's Accept asks
 * for text/html.
 */
export function isDocumentPost(request: Request): boolean {
  const mode = request.headers.get("Sec-Fetch-Mode");
  if (mode) return mode === "navigate";
  return (request.headers.get("Accept") ?? "").includes("text/html");
}

/** A row id as the store writes one: plain digits. "-1", "1.5", "1e3", "0x10" and "" are not ids. */
export const ID = /^\d{1,15}$/;

/** A form field holding a row id (a hidden input), as a number; `message` when it is not one. */
export const idField = (message: string) => z.string().trim().regex(ID, message).transform(Number);

/**
 * A form field holding a whole number, judged as text: "1.5", "1e3", "0x10"
 * and " " are refused where `Number()` would coerce them. `empty` is the
 * message for an empty field (else `notWhole`); `check` returns the message
 * for a number the field does not take. A digit string too long for a
 * double becomes Infinity, which any upper bound in `check` still refuses.
 */
export function wholeNumberField(
  messages: { empty?: string; notWhole: string },
  check: (value: number) => string | undefined = () => undefined,
  { signed = false } = {},
) {
  const digits = signed ? /^[+-]?\d+$/ : /^\d+$/;
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      const problem = text === "" && messages.empty ? messages.empty : digits.test(text) ? check(Number(text)) : messages.notWhole;
      if (problem === undefined) return Number(text);
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    });
}
