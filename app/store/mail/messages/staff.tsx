// The emails a member of staff gets: a new account's invitation, and a
// sign-in link to set a (new) password. The link works once, for a day.
import type { StaffMessageKind } from "#app/store/mail/outbox.server.ts";
import { Action, Layout, Paragraph, useStoreName } from "#app/store/mail/messages/parts.tsx";

export function staffSubject(kind: StaffMessageKind, storeName: string): string {
  return kind === "staff_invitation" ? `Your staff account at ${storeName}` : `Your sign-in link for ${storeName}`;
}

export function StaffMessage({ kind, link, hours }: { kind: StaffMessageKind; link: string; hours: number }) {
  const invitation = kind === "staff_invitation";
  const storeName = useStoreName();
  return (
    <Layout title={invitation ? `You have a staff account at ${storeName}` : "Set your password"}>
      <Paragraph>
        {invitation
          ? "Someone who runs the store made you an account. Choose your password to sign in."
          : "Someone asked for a sign-in link for your staff account. Choose a new password to sign in."}
      </Paragraph>
      <Action href={link}>Choose your password</Action>
      <Paragraph>{`The link works once, for ${hours} hours. If you did not expect it, ignore this email.`}</Paragraph>
    </Layout>
  );
}
