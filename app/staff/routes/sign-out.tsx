import { href, redirect } from "react-router";
import { databaseContext } from "#app/db/connection.server.ts";
import { clearedSessionCookie, endSession, readSessionToken } from "#app/staff/staff-session.server.ts";
import type { Route } from "./+types/sign-out";

// Signing out is a POST (the button in the admin menu): a link or an image
// on another site cannot sign anyone out.
export function loader() {
  return redirect(href("/admin"));
}

export async function action({ request, context }: Route.ActionArgs) {
  // The session row goes, so the cookie is worthless even if a copy survives.
  endSession(context.get(databaseContext), await readSessionToken(request));
  return redirect(`${href("/admin/sign-in")}?signed-out=1`, { headers: { "Set-Cookie": await clearedSessionCookie(request) } });
}
