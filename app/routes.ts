import { type RouteConfig, index, route } from "@react-router/dev/routes";

export default [
  index("routes/catalog.tsx"),
  route("products/:slug", "routes/product.tsx"),
] satisfies RouteConfig;
