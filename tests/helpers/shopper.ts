// A shopper talking HTTP to a running store, the way a browser without
// JavaScript would: document GETs and form POSTs, with its own cookie jar.
// POSTs send an Origin header matching the server, as browsers do; React
// Router refuses actions whose Origin does not match.

export type Reply = {
  status: number;
  location: string | null;
  html: string;
  /** The Set-Cookie headers of this response, as sent. */
  setCookies: string[];
  retryAfter: string | null;
};

export function shopper(baseUrl: string) {
  let cookie = "";

  async function send(path: string, init: RequestInit = {}): Promise<Reply> {
    const headers = new Headers(init.headers);
    if (cookie) headers.set("Cookie", cookie);
    const response = await fetch(`${baseUrl}${path}`, { ...init, headers, redirect: "manual" });
    const setCookies = response.headers.getSetCookie();
    for (const set of setCookies) cookie = set.split(";")[0]!;
    return {
      status: response.status,
      location: response.headers.get("location"),
      html: await response.text(),
      setCookies,
      retryAfter: response.headers.get("retry-after"),
    };
  }

  return {
    get: (path: string, headers: Record<string, string> = {}) => send(path, { headers }),
    /** Posts fields as a urlencoded form (or a raw body with its own content type). */
    post(path: string, body: Record<string, string> | { raw: BodyInit; type?: string }, headers: Record<string, string> = {}) {
      const raw = "raw" in body;
      return send(path, {
        method: "POST",
        body: raw ? body.raw : new URLSearchParams(body),
        headers: {
          Origin: baseUrl,
          ...(raw ? (body.type ? { "Content-Type": body.type } : {}) : { "Content-Type": "application/x-www-form-urlencoded" }),
          ...headers,
        },
      });
    },
    /** Posts the product page's "Add to cart" form (the product id is a form field, so it can be tampered with). */
    addToCart(product: { id: number | string; slug: string }, quantity: number | string) {
      return this.post(`/products/${product.slug}`, { productId: String(product.id), quantity: String(quantity) });
    },
    /** Opens the checkout page and returns the one-time token in its form. */
    async checkoutToken() {
      const page = await send("/checkout");
      const token = /name="checkoutToken" value="([^"]+)"/.exec(page.html)?.[1];
      if (!token) throw new Error(`no checkout token on the page (status ${page.status})`);
      return token;
    },
    checkout(token: string, fields: Record<string, string> = {}) {
      return this.post("/checkout", { ...customer, checkoutToken: token, ...fields });
    },
    cookie: () => cookie,
    setCookie(value: string) {
      cookie = value;
    },
  };
}

export const customer = {
  email: "grace@example.com",
  customerName: "Grace Hopper",
  addressLine1: "1 Navy Way",
  addressLine2: "",
  city: "Arlington",
  postalCode: "22201",
  country: "United States",
};

/** The text of an HTML page with tags removed, for matching messages. */
export function text(html: string) {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/<!-- -->/g, "")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
