import { data, Form, href, redirect } from "react-router";
import { z } from "zod";
import {
  buttonClass,
  fieldErrorCount,
  FormAlert,
  formatDateTime,
  PageHeading,
  secondaryButtonClass,
  SelectField,
  StatusBadge,
} from "#app/ui/kit.tsx";
import { Field } from "#app/ui/field.tsx";
import { useRef } from "react";
import { busyButton, useIsPending } from "#app/ui/use-is-pending.ts";
import { useResetAfterSave } from "#app/ui/use-reset-after-save.ts";
import { databaseContext } from "#app/db/connection.server.ts";
import { configContext, publicUrl } from "#app/core/env.server.ts";
import { formFailure, formValues, idField, readForm } from "#app/core/forms.server.ts";
import { requireOwner, signedInStaff } from "#app/staff/staff-auth.server.ts";
import { setNotice } from "#app/staff/staff-session.server.ts";
import {
  createStaff,
  deleteStaff,
  findStaffById,
  emailField,
  issueSignInLink,
  listStaff,
  roleField,
  setDisabled,
  setRole,
  signInLinkUrl,
  SIGN_IN_LINK_TTL_MS,
  StaffError,
} from "#app/staff/staff.server.ts";
import type { Route } from "./+types/staff";
import { TableScroller } from "#app/ui/table-scroller.tsx";
import { ConfirmAction } from "#app/ui/confirm-action.tsx";

// Only the owner manages staff accounts; everyone else gets a 403.
export const middleware: Route.MiddlewareFunction[] = [requireOwner];

export function meta() {
  return [{ title: "Staff · Store admin" }];
}

export function loader({ context }: Route.LoaderArgs) {
  return { staff: listStaff(context.get(databaseContext)), me: signedInStaff(context).staff.id };
}

const createSchema = z.object({ email: emailField, role: roleField });
const rowSchema = z.object({
  intent: z.enum(["link", "disable", "enable", "delete", "role"], { error: "That button is not one this page has." }),
  staffId: idField("That account no longer exists."),
  role: z.string().optional(),
});

const roles = [
  { value: "staff", label: "Staff: products, orders, stock" },
  { value: "owner", label: "Owner: all of that, and staff accounts" },
];

/** The link is shown once, on the page that made it; the database keeps only its hash. */
function issued(origin: string, email: string, token: string) {
  return data({ issued: { email, url: signInLinkUrl(origin, token), hours: SIGN_IN_LINK_TTL_MS / 3_600_000 } });
}

export async function action({ request, context }: Route.ActionArgs) {
  const { staff: signedIn, sessionId } = signedInStaff(context);
  const me = signedIn.id;
  const form = await readForm(request);
  const db = context.get(databaseContext);
  const config = context.get(configContext);
  const origin = publicUrl(config);

  if (form.get("intent") === "create") {
    const values = formValues(form, ["intent", "email", "role"]);
    const parsed = createSchema.safeParse(values);
    if (!parsed.success) return formFailure(values, parsed.error);
    try {
      const account = createStaff(db, parsed.data);
      return issued(origin, account.email, issueSignInLink(db, account.id, new Date(), { kind: "staff_invitation", config }));
    } catch (error) {
      if (error instanceof StaffError) return formFailure(values, { email: error.message }, 409);
      throw error;
    }
  }

  const values = formValues(form, ["intent", "staffId", "role"]);
  const parsed = rowSchema.safeParse(values);
  if (!parsed.success) return formFailure(values, { form: Object.values(z.flattenError(parsed.error).fieldErrors)[0]?.[0] });
  const { intent, staffId } = parsed.data;
  try {
    if (intent === "link") {
      const account = findStaffById(db, staffId);
      if (!account) throw new StaffError("That account no longer exists.");
      if (account.disabledAt) throw new StaffError(`Enable ${account.email} first: a disabled account cannot sign in.`);
      return issued(origin, account.email, issueSignInLink(db, staffId, new Date(), { kind: "staff_sign_in_link", config }));
    }
    let notice: string;
    if (intent === "delete") notice = `Deleted ${deleteStaff(db, me, staffId).email}.`;
    else if (intent === "role") {
      const role = roleField.safeParse(parsed.data.role);
      if (!role.success) return formFailure(values, { form: "Choose owner or staff." });
      notice = `${setRole(db, me, staffId, role.data).email} is now ${role.data === "owner" ? "an owner" : "staff"}.`;
    } else {
      const account = setDisabled(db, me, staffId, intent === "disable");
      notice =
        intent === "disable"
          ? `Disabled ${account.email}: signed out everywhere, and cannot sign in.`
          : `Enabled ${account.email}. If they have no password yet, send them a new sign-in link.`;
    }
    setNotice(db, sessionId, notice);
    return redirect(href("/admin/staff"));
  } catch (error) {
    if (error instanceof StaffError) return formFailure(values, { form: error.message }, 409);
    throw error;
  }
}

export default function Staff({ loaderData, actionData }: Route.ComponentProps) {
  const { staff, me } = loaderData;
  const creating = useIsPending({ fields: { intent: "create" } });
  const failure = actionData && "errors" in actionData ? actionData : undefined;
  const createFailure: { values: Partial<Record<string, string>>; errors: Partial<Record<string, string>> } | undefined =
    failure?.values.intent === "create" ? failure : undefined;
  const rowFailure = failure && !createFailure ? failure.errors.form : undefined;
  const createForm = useRef<HTMLFormElement>(null);
  // Added: the form empties, ready for the next person (the link shows above).
  useResetAfterSave(createForm, { fields: { intent: "create" }, failed: Boolean(createFailure), clear: true });
  const link = actionData && "issued" in actionData ? actionData.issued : undefined;
  return (
    <section>
      <PageHeading title="Staff" />
      {link && (
        <div role="status" className="mb-8 rounded-lg border border-green-700 bg-green-50 p-4 text-sm text-green-950">
          <p className="font-medium">{`Sign-in link for ${link.email}`}</p>
          <p className="mt-1">
            {`Send it to them yourself: it works once, for ${link.hours} hours, and lets them choose a password. It is not shown again.`}
          </p>
          <label htmlFor="sign-in-link" className="mt-3 block font-medium">
            Sign-in link
          </label>
          <input id="sign-in-link" readOnly value={link.url} className="mt-1 w-full rounded border border-stone-400 bg-white px-3 py-2 font-mono text-xs" />
        </div>
      )}

      <FormAlert message={rowFailure} />
      <TableScroller label="Staff accounts">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-stone-300 text-stone-600">
          <tr>
            <th scope="col" className="py-2 pr-4 font-medium">Email</th>
            <th scope="col" className="py-2 pr-4 font-medium">Role</th>
            <th scope="col" className="py-2 pr-4 font-medium">Status</th>
            <th scope="col" className="py-2 pr-4 font-medium">Last active</th>
            <th scope="col" className="py-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-200">
          {staff.map((person) => (
            <tr key={person.id}>
              <td className="py-3 pr-4">
                {person.email}
                {person.id === me && <span className="text-stone-600"> (you)</span>}
              </td>
              <td className="py-3 pr-4">{person.role}</td>
              <td className="py-3 pr-4">
                {person.disabled ? (
                  <StatusBadge status="disabled" label="Disabled" />
                ) : person.hasPassword ? (
                  <StatusBadge status="active" label="Active" />
                ) : (
                  <StatusBadge status="placed" label={person.linkExpiresAt ? "Link sent" : "No password yet"} />
                )}
              </td>
              <td className="py-3 pr-4 whitespace-nowrap">{person.lastSeenAt ? formatDateTime(person.lastSeenAt) : "—"}</td>
              <td className="py-3">{person.id !== me && <RowActions person={person} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </TableScroller>

      <h2 className="mt-10 text-lg font-medium">Add someone</h2>
      <p className="text-sm text-stone-600">They get no password: you get a one-time link to send them, and they choose one.</p>
      <Form ref={createForm} method="post" noValidate className="mt-4 grid max-w-xl gap-4">
        <input type="hidden" name="intent" value="create" />
        <FormAlert message={createFailure?.errors.form} fieldCount={fieldErrorCount(createFailure?.errors)} />
        <Field
          name="email"
          label="Email"
          type="email"
          autoComplete="off"
          defaultValue={createFailure?.values.email}
          error={createFailure?.errors.email}
        />
        <SelectField name="role" label="Role" options={roles} defaultValue={createFailure?.values.role || "staff"} error={createFailure?.errors.role} />
        <div>
          <button type="submit" {...busyButton(creating)} className={buttonClass}>
            {creating ? "Adding…" : "Add and make a sign-in link"}
          </button>
        </div>
      </Form>
    </section>
  );
}

function RowActions({ person }: { person: { id: number; email: string; role: string; disabled: boolean } }) {
  const id = String(person.id);
  const pending = useIsPending({ fields: { staffId: id } });
  const disabling = useIsPending({ fields: { intent: "disable", staffId: id } });
  const deleting = useIsPending({ fields: { intent: "delete", staffId: id } });
  // Screen readers hear whom each button is for; the table row shows it.
  const who = <span className="sr-only">{`: ${person.email}`}</span>;
  const hidden = (intent: string) => (
    <>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="staffId" value={id} />
    </>
  );
  return (
    <div className="flex flex-wrap gap-2">
      {!person.disabled && (
        <Form method="post">
          {hidden("link")}
          <button type="submit" disabled={pending} className={secondaryButtonClass}>
            New sign-in link{who}
          </button>
        </Form>
      )}
      <Form method="post">
        {hidden("role")}
        <input type="hidden" name="role" value={person.role === "owner" ? "staff" : "owner"} />
        <button type="submit" disabled={pending} className={secondaryButtonClass}>
          {person.role === "owner" ? "Make staff" : "Make owner"}
          {who}
        </button>
      </Form>
      {person.disabled ? (
        <Form method="post">
          {hidden("enable")}
          <button type="submit" disabled={pending} className={secondaryButtonClass}>
            Enable{who}
          </button>
        </Form>
      ) : (
        <ConfirmAction
          id={`disable-${id}`}
          trigger={<>Disable…{who}</>}
          triggerClassName={secondaryButtonClass}
          title={`Disable ${person.email}?`}
          confirm={disabling ? "Disabling…" : "Disable account"}
          keep="Keep the account active"
          fields={{ intent: "disable", staffId: id }}
        >
          {"They are signed out everywhere at once, their unused sign-in links stop working, and they cannot sign in until you enable the account again."}
        </ConfirmAction>
      )}
      <ConfirmAction
        id={`delete-${id}`}
        trigger={<>Delete…{who}</>}
        title={`Delete ${person.email}?`}
        confirm={deleting ? "Deleting…" : "Delete account"}
        keep="Keep the account"
        fields={{ intent: "delete", staffId: id }}
      >
        {"The account goes for good: they are signed out everywhere and cannot sign in again. Someone who has changed stock is kept in its history: disable their account instead."}
      </ConfirmAction>
    </div>
  );
}
