// Checks rule lists: size limits, no control or shell characters, and every rule parsed by the
// rule language's parser (errors keep its column and expectation).
import { parseRule, RuleSyntaxError } from "../rules/parse-rule.js";
import { checkListLength } from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { LIMITS } from "./limits.js";

export function checkRuleList(rules: readonly string[], path: string): string[] {
  checkListLength(rules, LIMITS.rules, path);
  return rules.map((rule, i) => checkRuleText(rule, `${path}[${i}]`));
}

function checkRuleText(rule: string, path: string): string {
  if (rule.length > LIMITS.ruleLength) {
    throw new FieldError(path, `is ${rule.length} characters; at most ${LIMITS.ruleLength}`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f"'`;{}\\$]/.test(rule)) {
    throw new FieldError(
      path,
      "contains a control character, quote, semicolon, brace, backslash or '$'",
    );
  }
  try {
    parseRule(rule);
  } catch (error) {
    if (error instanceof RuleSyntaxError) throw new FieldError(path, error.message);
    throw error;
  }
  return rule;
}
