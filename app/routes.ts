import { type RouteConfig, index, route } from "@react-router/dev/routes";

export default [
  index("routes/catalog.tsx"),
  route("products/:slug", "routes/product.tsx"),
  route("cart", "routes/cart.tsx"),
  route("checkout", "routes/checkout.tsx"),
  route("orders", "routes/order-lookup.tsx"),
  route("orders/:publicId", "routes/order.tsx"),
] satisfies RouteConfig;
