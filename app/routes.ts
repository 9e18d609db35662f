import { type RouteConfig, index, layout, prefix, route } from "@react-router/dev/routes";

export default [
  index("routes/catalog.tsx"),
  route("products/:slug", "routes/product.tsx"),
  route("cart", "routes/cart.tsx"),
  route("checkout", "routes/checkout.tsx"),
  route("orders", "routes/order-lookup.tsx"),
  route("orders/:publicId", "routes/order.tsx"),

  // Staff (docs/admin.md). Only these two are open to anyone; everything
  // else sits in the layout, whose middleware requires a signed-in session.
  // tests/admin-authorization.test.ts fails for an /admin route it does not know.
  ...prefix("admin", [
    route("sign-in", "routes/admin/sign-in.tsx"),
    route("welcome/:token", "routes/admin/welcome.tsx"),
    layout("routes/admin/layout.tsx", [
      index("routes/admin/dashboard.tsx"),
      route("sign-out", "routes/admin/sign-out.tsx"),
      route("account", "routes/admin/account.tsx"),
      route("products", "routes/admin/products.tsx"),
      route("products/new", "routes/admin/product-new.tsx"),
      route("products/:productId", "routes/admin/product-edit.tsx"),
      route("products/:productId/stock", "routes/admin/product-stock.tsx"),
      route("orders", "routes/admin/orders.tsx"),
      route("orders/:orderId", "routes/admin/order.tsx"),
      route("staff", "routes/admin/staff.tsx"),
    ]),
  ]),
] satisfies RouteConfig;
