import { type RouteConfig, index, layout, prefix, route } from "@react-router/dev/routes";

export default [
  index("shop/routes/catalog.tsx"),
  route("products/:slug", "shop/routes/product.tsx"),
  route("cart", "shop/routes/cart.tsx"),
  route("checkout", "shop/routes/checkout.tsx"),
  route("orders", "shop/routes/order-lookup.tsx"),
  route("orders/:publicId", "shop/routes/order.tsx"),
  route("orders/:publicId/pay", "shop/routes/order-pay.tsx"),

  // Staff (docs/admin.md). Only these two are open to anyone; everything
  // else sits in the layout, whose middleware requires a signed-in session.
  // tests/staff/admin-authorization.test.ts fails for an /admin route it does not know.
  ...prefix("admin", [
    route("sign-in", "staff/routes/sign-in.tsx"),
    route("welcome/:token", "staff/routes/welcome.tsx"),
    layout("staff/routes/layout.tsx", [
      index("staff/routes/dashboard.tsx"),
      route("sign-out", "staff/routes/sign-out.tsx"),
      route("account", "staff/routes/account.tsx"),
      route("products", "staff/routes/products.tsx"),
      route("products/new", "staff/routes/product-new.tsx"),
      route("products/:productId", "staff/routes/product-edit.tsx"),
      route("products/:productId/stock", "staff/routes/product-stock.tsx"),
      route("orders", "staff/routes/orders.tsx"),
      route("orders/:orderId", "staff/routes/order.tsx"),
      route("orders/:orderId/refund", "staff/routes/order-refund.tsx"),
      route("orders/:orderId/accept-payment", "staff/routes/order-accept-payment.tsx"),
      route("staff", "staff/routes/staff.tsx"),
      // Last: any other /admin address, a 404 inside the staff layout.
      route("*", "staff/routes/not-found.tsx"),
    ]),
  ]),
] satisfies RouteConfig;
