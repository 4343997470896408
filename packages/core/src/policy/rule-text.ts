// First-pass checks of rule-language text: size limits, printable text, and every address or
// prefix in it well formed. The full grammar is parsed when rules are compiled.
import { Ipv6SyntaxError, parseIpv6Cidr } from "../ipam/ipv6-address.js";
import { checkListLength } from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { LIMITS } from "./limits.js";

export function checkRuleList(rules: readonly string[], path: string): string[] {
  checkListLength(rules, LIMITS.rules, path);
  return rules.map((rule, i) => checkRuleText(rule, `${path}[${i}]`));
}

function checkRuleText(rule: string, path: string): string {
  if (rule.trim() === "") throw new FieldError(path, "is empty");
  if (rule.length > LIMITS.ruleLength)
    throw new FieldError(path, `is ${rule.length} characters; at most ${LIMITS.ruleLength}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f"'`;{}\\$]/.test(rule)) {
    throw new FieldError(
      path,
      "contains a control character, quote, semicolon, brace, backslash or '$'",
    );
  }
  let column = 1;
  for (const token of rule.split(/(\s+|,)/)) {
    if (token.includes(":")) {
      try {
        parseIpv6Cidr(token, 128);
      } catch (error) {
        if (error instanceof Ipv6SyntaxError) {
          throw new FieldError(
            path,
            `at column ${column}: ${JSON.stringify(token)} is not an IPv6 address or prefix: ${error.message}`,
          );
        }
        throw error;
      }
    }
    column += token.length;
  }
  return rule;
}
