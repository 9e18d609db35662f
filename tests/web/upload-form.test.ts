// readUploadForm (app/core/forms.server.ts): a product form whose image is
// past the body limit keeps the fields typed before it, drops the image and
// says how big it was; what is not a multipart form, or is past 64 MB, is
// answered as readForm answers it. The page-level check is
// tests/e2e/image-picker.spec.ts ("a 12 MB photo…").
import { describe, expect, it } from "vitest";
import { readUploadForm } from "#app/core/forms.server.ts";

const MB = 1024 * 1024;

/** The bytes and Content-Type a browser sends for these fields, the file last. */
async function multipart(fields: Record<string, string>, file?: { bytes: number; name: string }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  if (file) form.set("image", new Blob([new Uint8Array(file.bytes).fill(0x41)], { type: "image/jpeg" }), file.name);
  const encoded = new Request("http://store.test/", { method: "POST", body: form });
  return { body: new Uint8Array(await encoded.arrayBuffer()), type: encoded.headers.get("Content-Type")! };
}

/** A request whose body arrives in chunks of `chunk` bytes, as from a socket; with Content-Length unless `declared` is false. */
function request(body: Uint8Array, type: string, { chunk = 64 * 1024, declared = true }: { chunk?: number; declared?: boolean } = {}) {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      controller.enqueue(body.subarray(offset, offset + chunk));
      offset += chunk;
    },
  });
  const headers: Record<string, string> = { "Content-Type": type };
  if (declared) headers["Content-Length"] = String(body.length);
  return new Request("http://store.test/admin/products/1", { method: "POST", body: stream, headers, duplex: "half" } as RequestInit);
}

const fields = { intent: "save", uploadedImage: "", name: "Oak Stool", price: "12.50", description: "Three legs, one seat.\r\nAnd a second line, as browsers send it." };
const LIMIT = 5 * MB + 64 * 1024;

async function refusal(promise: Promise<unknown>) {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!thrown || typeof thrown !== "object" || !("init" in thrown)) throw new Error(`not refused: ${String(thrown)}`);
  const { data, init } = thrown as { data: unknown; init: ResponseInit | null };
  return { status: init?.status, data };
}

describe("readUploadForm", () => {
  it("reads a form within the limit whole, the file included", async () => {
    const { body, type } = await multipart(fields, { bytes: 3 * MB, name: "small.jpg" });
    const { form, droppedBytes } = await readUploadForm(request(body, type), { maxBytes: LIMIT });
    expect(droppedBytes).toBe(0);
    expect(Object.fromEntries([...form].filter(([, v]) => typeof v === "string"))).toEqual(fields);
    const image = form.get("image") as File;
    expect({ name: image.name, size: image.size }).toEqual({ name: "small.jpg", size: 3 * MB });
  });

  it.each([
    ["declared, in 64 kB chunks", { chunk: 64 * 1024, declared: true }],
    ["not declared (chunked), in odd chunks", { chunk: 7_777, declared: false }],
  ])("past the limit (%s), keeps every field before the file and drops the file, saying how big the cut part was", async (_name, how) => {
    const { body, type } = await multipart(fields, { bytes: 12 * MB, name: "phone.jpg" });
    const { form, droppedBytes } = await readUploadForm(request(body, type, how), { maxBytes: LIMIT });
    expect(Object.fromEntries(form)).toEqual(fields);
    expect(form.has("image")).toBe(false);
    // The file, its part's headers and the closing delimiter: the file's size to within a few hundred bytes.
    expect(droppedBytes).toBeGreaterThan(12 * MB);
    expect(droppedBytes).toBeLessThan(12 * MB + 400);
  });

  it("drops what follows the file too, and returns an empty form when the first part is the one cut", async () => {
    const after = new FormData();
    after.set("intent", "save");
    after.set("image", new Blob([new Uint8Array(6 * MB)]), "big.jpg");
    after.set("name", "After The File");
    const encoded = new Request("http://store.test/", { method: "POST", body: after });
    const read = await readUploadForm(request(new Uint8Array(await encoded.arrayBuffer()), encoded.headers.get("Content-Type")!), { maxBytes: LIMIT });
    expect(Object.fromEntries(read.form)).toEqual({ intent: "save" });
    expect(read.droppedBytes).toBeGreaterThan(6 * MB);

    const only = new FormData();
    only.set("image", new Blob([new Uint8Array(6 * MB)]), "big.jpg");
    const onlyEncoded = new Request("http://store.test/", { method: "POST", body: only });
    const first = await readUploadForm(request(new Uint8Array(await onlyEncoded.arrayBuffer()), onlyEncoded.headers.get("Content-Type")!), { maxBytes: LIMIT });
    expect([...first.form]).toEqual([]);
    expect(first.droppedBytes).toBeGreaterThan(6 * MB);
  });

  it("refuses past 64 MB (declared, or counted as it arrives) with a 413, as any form too large", async () => {
    const small = await multipart(fields);
    const declared = new Request("http://store.test/", {
      method: "POST",
      body: small.body,
      headers: { "Content-Type": small.type, "Content-Length": String(65 * MB) },
    });
    const early = await refusal(readUploadForm(declared, { maxBytes: LIMIT }));
    expect(early).toEqual({ status: 413, data: "That form is too large." });

    const { body, type } = await multipart(fields, { bytes: 65 * MB, name: "huge.tif" });
    const counted = await refusal(readUploadForm(request(body, type, { chunk: MB, declared: false }), { maxBytes: LIMIT }));
    expect(counted).toEqual({ status: 413, data: "That form is too large." });
  });

  it("answers what is not a multipart form as readForm does", async () => {
    const json = new Request("http://store.test/", { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
    expect(await refusal(readUploadForm(json, { maxBytes: LIMIT }))).toEqual({ status: 415, data: "Please send the form from the store's page." });
    const urlencoded = new Request("http://store.test/", {
      method: "POST",
      body: new URLSearchParams({ intent: "archive" }),
    });
    const { form, droppedBytes } = await readUploadForm(urlencoded, { maxBytes: LIMIT });
    expect({ form: Object.fromEntries(form), droppedBytes }).toEqual({ form: { intent: "archive" }, droppedBytes: 0 });
  });
});
