// Is a new staff password easy to guess? Asked wherever one is set: the
// welcome link, the account page, `staff create --password-stdin`.
//
// NIST SP 800-63B: at least 12 characters (newPasswordField) and not one that
// is common, breached or predictable, with no other composition rules.
// zxcvbn-ts estimates how many guesses an attacker needs who tries breach
// lists (its common dictionary, ranked), keyboard patterns, repeats,
// sequences, dates and the account's own email first; a password that falls
// within 10^8 guesses is refused with the reason. Why this package, these
// settings, and what it costs: docs/decisions/029-password-strength.md.
//
// It and its dictionaries are about 500 kB of JavaScript that take ~0.2 s
// of CPU to load: imported on the first check, never at startup, and never
// sent to the browser (a .server module).
import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

/** zxcvbn's "safely unguessable" score: at least 10^8 guesses. */
const MIN_SCORE = 3;

/**
 * zxcvbn looks at every substring, so its cost grows with the square of the
 * length: 256 characters take half a second of CPU, 64 about 10 ms. Only the
 * first 64 are estimated; a password whose first 64 characters are hard to
 * guess is at least as hard as them.
 */
const CHECKED_LENGTH = 64;

const COMMON = "This password is on a list of common passwords.";
const REPEATS = "Repeated characters or words, like aaaa or abcabc, are easy to guess.";
const KEYS = "Rows and patterns of keys, like qwerty or 1qaz2wsx, are easy to guess.";
const DATES = "Dates and years are easy to guess.";
const WORD = "A common word or name on its own is easy to guess.";

/** zxcvbn's warning, by its key, in the store's words. */
const WHY: Record<string, string> = {
  topTen: COMMON,
  topHundred: COMMON,
  common: COMMON,
  similarToCommon: "This password is a common one with small changes, which attackers try early.",
  simpleRepeat: REPEATS,
  extendedRepeat: REPEATS,
  sequences: "Sequences like abcd or 1234 are easy to guess.",
  straightRow: KEYS,
  keyPattern: KEYS,
  recentYears: DATES,
  dates: DATES,
  userInputs: "This password contains your email address, or part of it.",
  wordByItself: WORD,
  namesByThemselves: WORD,
  commonNames: WORD,
};
const ADVICE = "A few unrelated words make a good one.";

let checker: Promise<ZxcvbnFactory> | undefined;

function loadChecker(): Promise<ZxcvbnFactory> {
  checker ??= Promise.all([import("@zxcvbn-ts/core"), import("@zxcvbn-ts/language-common")]).then(
    ([core, common]) =>
      new core.ZxcvbnFactory({
        dictionary: common.dictionary,
        graphs: common.adjacencyGraphs,
        maxLength: CHECKED_LENGTH,
        // Spellings with digits for letters (p4ssw0rd) tried per password: the
        // default, 100, costs 4 times as much and scored every example tried
        // the same (decision 029).
        l33tMaxSubstitutions: 10,
      }),
  );
  return checker;
}

/**
 * Why `password` is too easy to guess, as a sentence for the form, or null
 * if it is not. `email` is the account's: an attacker tries it (and its
 * parts) first.
 */
export async function weakPasswordReason(password: string, email: string): Promise<string | null> {
  const zxcvbn = await loadChecker();
  // The whole address, its name run together ("janedoe"), and its words.
  const words = email.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 3);
  const context = [email, email.split("@")[0]!.replace(/[^\p{L}\p{N}]+/gu, ""), ...words];
  const result = zxcvbn.check(password, context);
  if (result.score >= MIN_SCORE) return null;
  const why = (result.feedback.warning && WHY[result.feedback.warning]) || "This password is too easy to guess.";
  return `${why} ${ADVICE}`;
}
