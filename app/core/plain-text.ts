// Text that staff type and shoppers read: a product's name and description.
// Any Unicode is welcome (accents, other scripts, emoji), but not characters
// that make what a shopper sees differ from what is stored:
//
// - control characters (NUL, bell, escape, C1 codes…): nothing to show, and
//   they break exports, emails and logs; a multi-line text keeps its line
//   breaks and tabs;
// - text direction overrides and isolates (U+202A–U+202E, U+2066–U+2069):
//   "\u202Eloots kaO" displays as "Oak Stool", so a name can pass for
//   another ("Trojan Source"). The plain marks U+200E/U+200F stay: right-to-
//   left writing needs them and they reorder nothing on their own;
// - text made only of invisible characters (zero-width spaces and joiners,
//   word joiners, soft hyphens, fillers: Unicode's default-ignorable code
//   points) and spaces, which would list as an empty name. Inside real text
//   they stay: emoji sequences and Persian or Indic words need joiners.
//
// Text is stored in NFC, so "é" typed as e + accent and "é" typed as one
// character are the same name, for search and for the unique slug.

const CONTROL = /\p{Cc}/u;
const CONTROL_IN_MULTILINE = /(?![\t\n\r])\p{Cc}/u;
const DIRECTION_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{White_Space}]/gu;

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * What is wrong with a text, as a message for beside its field, or
 * undefined. `label` names the field in the message ("name"); `emptyMessage`
 * is what an empty field is told ("Enter the product's name").
 */
export function plainTextProblem(
  value: string,
  options: { label: string; emptyMessage: string; multiline?: boolean },
): string | undefined {
  const control = (options.multiline ? CONTROL_IN_MULTILINE : CONTROL).exec(value)?.[0];
  if (control !== undefined) {
    return `The ${options.label} contains a control character (${codePoint(control)}), which cannot be shown. Remove it.`;
  }
  const direction = DIRECTION_CONTROL.exec(value)?.[0];
  if (direction !== undefined) {
    return `The ${options.label} contains a text direction control (${codePoint(direction)}), which can make it read differently from how it is stored. Remove it.`;
  }
  if (value !== "" && value.replace(INVISIBLE, "") === "") {
    return `${options.emptyMessage}: this one has only invisible characters.`;
  }
  return undefined;
}
