import { data } from "react-router";
import { StaffErrorPage } from "#app/ui/error-page.tsx";

// Any /admin address no other route takes. It sits inside the staff layout,
// so a signed-out visitor is sent to sign in first (nobody learns which staff
// pages exist), and staff get a 404 inside the staff header and menu rather
// than the shop's error page.
export function loader() {
  throw data("There is no staff page at this address.", { status: 404 });
}

export default function NotFound() {
  return null;
}

export function ErrorBoundary({ error }: { error: unknown }) {
  return <StaffErrorPage error={error} />;
}
