import { data } from "react-router";
import { ID } from "#app/core/forms.server.ts";

/** A numeric id from the URL (/admin/orders/42), or the 404 page: "There is no such order." */
export function idParam(value: string | undefined, what: "product" | "order"): number {
  if (!value || !ID.test(value)) throw data(`There is no such ${what}.`, { status: 404 });
  return Number(value);
}
