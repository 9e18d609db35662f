import { href, Link } from "react-router";

/** What the cart and checkout pages show when there is nothing to buy. */
export function EmptyCart() {
  return (
    <div className="mt-6 text-stone-700">
      <p>Your cart is empty.</p>
      <Link to={href("/")} className="mt-4 inline-block underline">
        Browse the catalog
      </Link>
    </div>
  );
}
