// The building blocks of every email, each rendering two ways from the same
// tree: HTML (inline styles, since mail clients drop stylesheets) and plain
// text. react-dom/server renders both; the text rendering's markup is
// stripped afterwards (render.server.tsx), so the words exist once.
import { createContext, use, type ReactNode } from "react";
import { formatPrice } from "#app/core/money.ts";

/** The shop's name (STORE_NAME), as the pages' header shows it: renderBoth provides it. */
export const StoreNameContext = createContext("Corner Store");
export const useStoreName = () => use(StoreNameContext);

export type Format = "html" | "text";
export const FormatContext = createContext<Format>("html");
const useFormat = () => use(FormatContext);

const font = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

export function Layout({ title, children }: { title: string; children: ReactNode }) {
  const storeName = useStoreName();
  if (useFormat() === "text") {
    return (
      <>
        {`${storeName}\n\n${title}\n${"=".repeat(title.length)}\n\n`}
        {children}
      </>
    );
  }
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <title>{title}</title>
      </head>
      <body style={{ margin: 0, padding: "24px", backgroundColor: "#f5f5f4" }}>
        <div style={{ maxWidth: "560px", margin: "0 auto", padding: "24px", backgroundColor: "#ffffff", fontFamily: font, color: "#1c1917" }}>
          <p style={{ margin: "0 0 16px", fontSize: "14px", color: "#57534e" }}>{storeName}</p>
          <h1 style={{ margin: "0 0 16px", fontSize: "22px" }}>{title}</h1>
          {children}
        </div>
      </body>
    </html>
  );
}

export function Paragraph({ children }: { children: ReactNode }) {
  if (useFormat() === "text") return <>{children}{"\n\n"}</>;
  return <p style={{ margin: "0 0 16px", fontSize: "16px", lineHeight: "1.5" }}>{children}</p>;
}

/** A code in a sentence (the order number): one line in the HTML, never broken at its dash, as on the store's pages. */
export function Code({ children }: { children: string }) {
  if (useFormat() === "text") return <>{children}</>;
  return <span style={{ whiteSpace: "nowrap" }}>{children}</span>;
}

export function Heading({ children }: { children: string }) {
  if (useFormat() === "text") return <>{`${children}\n${"-".repeat(children.length)}\n`}</>;
  return <h2 style={{ margin: "24px 0 8px", fontSize: "17px" }}>{children}</h2>;
}

/** The one thing to click, with its address spelled out in the text version. */
export function Action({ href, children }: { href: string; children: string }) {
  if (useFormat() === "text") return <>{`${children}:\n${href}\n\n`}</>;
  return (
    <p style={{ margin: "0 0 16px" }}>
      <a
        href={href}
        style={{ display: "inline-block", padding: "10px 16px", backgroundColor: "#1c1917", color: "#ffffff", textDecoration: "none", borderRadius: "6px" }}
      >
        {children}
      </a>
    </p>
  );
}

export type Line = { productName: string; unitPriceCents: number; quantity: number };

/** An order's lines and total, in the order's own currency (not the page's: the sender renders outside any page). */
export function Lines({ lines, totalCents, currency }: { lines: Line[]; totalCents: number; currency: string }) {
  if (useFormat() === "text") {
    const rows = lines.map(
      (l) => `${l.quantity} × ${l.productName} at ${formatPrice(l.unitPriceCents, currency)}: ${formatPrice(l.unitPriceCents * l.quantity, currency)}\n`,
    );
    return <>{`${rows.join("")}Total: ${formatPrice(totalCents, currency)}\n\n`}</>;
  }
  const cell = { padding: "6px 0", borderBottom: "1px solid #e7e5e4", fontSize: "15px" };
  return (
    <table style={{ width: "100%", borderCollapse: "collapse" }}>
      <thead>
        <tr>
          <th style={{ ...cell, textAlign: "left" }}>Product</th>
          <th style={{ ...cell, textAlign: "right" }}>Quantity</th>
          <th style={{ ...cell, textAlign: "right" }}>Price</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l, i) => (
          <tr key={i}>
            <td style={cell}>{l.productName}</td>
            <td style={{ ...cell, textAlign: "right" }}>{l.quantity}</td>
            <td style={{ ...cell, textAlign: "right" }}>{formatPrice(l.unitPriceCents * l.quantity, currency)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th colSpan={2} style={{ ...cell, textAlign: "right" }}>
            Total
          </th>
          <td style={{ ...cell, textAlign: "right", fontWeight: "bold" }}>{formatPrice(totalCents, currency)}</td>
        </tr>
      </tfoot>
    </table>
  );
}

export type ShipTo = {
  customerName: string;
  addressLine1: string;
  addressLine2: string;
  city: string;
  postalCode: string;
  country: string;
};

export function Address({ to }: { to: ShipTo }) {
  const lines = [to.customerName, to.addressLine1, to.addressLine2, `${to.postalCode} ${to.city}`, to.country].filter(Boolean);
  if (useFormat() === "text") return <>{`${lines.join("\n")}\n\n`}</>;
  return (
    <p style={{ margin: "0 0 16px", fontSize: "15px", lineHeight: "1.5" }}>
      {lines.map((line, i) => (
        <span key={i}>
          {line}
          {i < lines.length - 1 && <br />}
        </span>
      ))}
    </p>
  );
}
