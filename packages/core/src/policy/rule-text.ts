// Checks rule lists: size limits, no control or shell characters, and every rule parsed by the
// rule language's parser (errors keep its column and expectation).
import { RuleOrderError, ruleListShape } from "../rules/compile-rule-elements.js";
import { parseRule, RuleSyntaxError } from "../rules/parse-rule.js";
import type { Rule } from "../rules/rule-ast.js";
import { checkListLength } from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { LIMITS } from "./limits.js";

export function checkRuleList(rules: readonly string[], path: string): string[] {
  checkListLength(rules, LIMITS.rules, path);
  const parsed = rules.map((rule, i) => checkRuleText(rule, `${path}[${i}]`));
  try {
    ruleListShape(parsed);
  } catch (error) {
    if (error instanceof RuleOrderError) throw new FieldError(path, error.message);
    throw error;
  }
  return [...rules];
}

function checkRuleText(rule: string, path: string): Rule {
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
    return parseRule(rule);
  } catch (error) {
    if (error instanceof RuleSyntaxError) throw new FieldError(path, error.message);
    throw error;
  }
}
