// Staff talking HTTP to a running store, as a browser without JavaScript
// would: document GETs and form POSTs with the store's Origin, and a cookie
// jar that keeps each cookie by name (the cart's and the staff session's).
import type { AppDatabase } from "#app/db/connection.server.ts";
import type { StaffRole } from "#app/db/schema.ts";
import { createStaff, setPassword } from "#app/staff/staff.server.ts";

export type Reply = { status: number; location: string | null; html: string; headers: Headers };

export const PASSWORD = "correct horse battery staple";

/** An account with a password, straight in the database. */
export async function staffAccount(db: AppDatabase, email: string, role: StaffRole, password = PASSWORD) {
  const account = createStaff(db, { email, role });
  await setPassword(db, account.id, password);
  return account;
}

export function browser(baseUrl: string) {
  const jar = new Map<string, string>();

  async function send(path: string, init: RequestInit = {}): Promise<Reply> {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(`${baseUrl}${path}`, { ...init, headers, redirect: "manual" });
    for (const set of response.headers.getSetCookie()) {
      const [pair = ""] = set.split(";");
      const [name = "", value = ""] = pair.split("=");
      if (value === "" || /max-age=0/i.test(set)) jar.delete(name);
      else jar.set(name, value);
    }
    return { status: response.status, location: response.headers.get("location"), html: await response.text(), headers: response.headers };
  }

  return {
    jar,
    get: (path: string) => send(path),
    /** A urlencoded form post (or multipart, given FormData). */
    post(path: string, body: Record<string, string> | FormData, headers: Record<string, string> = {}) {
      const form = body instanceof FormData;
      return send(path, {
        method: "POST",
        body: form ? body : new URLSearchParams(body),
        headers: { Origin: baseUrl, ...(form ? {} : { "Content-Type": "application/x-www-form-urlencoded" }), ...headers },
      });
    },
    async signIn(email: string, password = PASSWORD) {
      const reply = await this.post("/admin/sign-in", { email, password });
      if (reply.status !== 302) throw new Error(`sign-in as ${email} failed with ${reply.status}`);
      return reply;
    },
    staffCookie: () => jar.get("__store_staff"),
  };
}

/** A multipart product form, the way the browser sends "New product" or "Edit". */
export function productForm(fields: Record<string, string>, image?: { bytes: Uint8Array<ArrayBuffer>; name: string; type: string }) {
  const form = new FormData();
  form.set("intent", "save");
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  if (image) form.set("image", new Blob([image.bytes], { type: image.type }), image.name);
  else form.set("image", new Blob([], { type: "application/octet-stream" }), "");
  return form;
}

/** The smallest real PNG: one transparent pixel. */
export const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);
