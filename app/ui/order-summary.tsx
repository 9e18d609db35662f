import { Link } from "react-router";
import { formatPrice } from "#app/core/money.ts";
import { linkClass } from "#app/ui/kit.tsx";
import { ProductImage } from "#app/ui/product-image.tsx";
import { TableScroller } from "#app/ui/table-scroller.tsx";

type Line = {
  productId: number;
  productName: string;
  unitPriceCents: number;
  quantity: number;
  image: string;
  sku?: string;
  archived?: boolean;
};

type Order = {
  customerName: string;
  addressLine1: string;
  addressLine2: string | null;
  postalCode: string;
  city: string;
  country: string;
  email: string;
  phone: string | null;
  totalCents: number;
  currency: string;
};

/**
 * An order's lines (picture, name, price, quantity, line total), its total,
 * where it ships and whom to contact: the shopper's confirmation page and the
 * staff's order page draw it alike. `lineHref` says where a line's name leads
 * (the product page, or its admin page); amounts are in the order's own
 * currency, whatever the store's is today; `staff` adds the SKU column and marks
 * archived products.
 */
export function OrderSummary<L extends Line>({
  order,
  lineHref,
  staff = false,
}: {
  order: Order & { items: L[] };
  lineHref: (line: L) => string;
  staff?: boolean;
}) {
  const cell = "py-2 pr-4 text-right";
  const table = (
      <table className="mt-3 w-full text-left text-sm">
        <thead className="border-b border-stone-300 text-stone-600">
          <tr>
            <th scope="col" className="py-2 pr-4 font-medium">Product</th>
            {staff && <th scope="col" className="py-2 pr-4 font-medium">SKU</th>}
            <th scope="col" className="py-2 pr-4 text-right font-medium">Price</th>
            <th scope="col" className="py-2 pr-4 text-right font-medium">Quantity</th>
            <th scope="col" className="py-2 text-right font-medium">Total</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-200">
          {order.items.map((line) => (
            <tr key={line.productId}>
              <td className="py-2 pr-4">
                <div className="flex items-center gap-3">
                  <ProductImage
                    src={line.image}
                    alt=""
                    sizes="48px"
                    width={48}
                    height={48}
                    loading="lazy"
                    className="h-12 w-12 shrink-0 rounded bg-stone-100 object-cover"
                  />
                  <span>
                    <Link to={lineHref(line)} className={linkClass}>
                      {line.productName}
                    </Link>
                    {staff && line.archived && <span className="ml-2 text-stone-600">(archived)</span>}
                  </span>
                </div>
              </td>
              {staff && <td className="py-2 pr-4 font-mono">{line.sku}</td>}
              <td className={cell}>{formatPrice(line.unitPriceCents, order.currency)}</td>
              <td className={cell}>{line.quantity}</td>
              <td className="py-2 text-right">{formatPrice(line.unitPriceCents * line.quantity, order.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr className="border-t border-stone-300 font-semibold">
            <th scope="row" colSpan={staff ? 4 : 3} className="py-3 pr-4 text-right">
              Total
            </th>
            <td className="py-3 text-right">{formatPrice(order.totalCents, order.currency)}</td>
          </tr>
        </tfoot>
      </table>
  );
  return (
    <>
      <h2 className="mt-8 text-lg font-medium">Items</h2>
      {/* On a phone the table scrolls in its region (app/ui/table-scroller.tsx), never the page: the
          staff's has a SKU column more; the shopper's fits at the default text size but not with the
          browser's text larger (at 200 % it is 656 px wide), so it says nothing about scrolling. */}
      <TableScroller label="Items" className="mt-0" hint={staff}>
        {table}
      </TableScroller>

      <div className="mt-8 grid grid-cols-1 gap-6 sm:grid-cols-2">
        <div>
          <h2 className="text-lg font-medium">Ship to</h2>
          <address className="mt-2 text-sm not-italic leading-relaxed text-stone-700">
            {order.customerName}
            <br />
            {order.addressLine1}
            {order.addressLine2 && (
              <>
                <br />
                {order.addressLine2}
              </>
            )}
            <br />
            {`${order.postalCode} ${order.city}`}
            <br />
            {order.country}
          </address>
        </div>
        <div>
          <h2 className="text-lg font-medium">Contact</h2>
          <p className="mt-2 text-sm text-stone-700">{order.email}</p>
          {order.phone && <p className="text-sm text-stone-700">{order.phone}</p>}
        </div>
      </div>
    </>
  );
}
