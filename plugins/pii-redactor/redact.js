/**
 * The redaction itself, pure (tested on its own): e-mail addresses become "[email]", phone
 * numbers (7 to 15 digits, with the usual separators and an optional leading +) "[phone]".
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// A phone number: optional +, then digits with spaces, dots, dashes or brackets between them.
const PHONE = /(?<![\w@])\+?\(?\d[\d\s().-]{5,}\d(?![\w@])/g;

/** @param {string} text @returns {{ text: string, emails: number, phones: number }} */
export function redact(text) {
  let emails = 0;
  let phones = 0;
  let out = text.replace(EMAIL, () => {
    emails++;
    return "[email]";
  });
  out = out.replace(PHONE, (match) => {
    const digits = match.replace(/\D/g, "").length;
    if (digits < 7 || digits > 15) return match;
    phones++;
    return "[phone]";
  });
  return { text: out, emails, phones };
}
