// Form helpers of the administration page: the API's 422 body shown next to its fields.
//
// Pydantic errors arrive as {"errors": [{"loc": ["body", "deadline_days"], "msg"}]}; domain
// errors as {"detail", "code"} where the code names the field (unknown_agency -> agency).

import { ApiError, errorText } from "./api.js";
import { tr } from "./admin-i18n.js";

const FIELD_OF_CODE = {
  bad_code: "code", category_exists: "code", rule_exists: "code",
  unknown_agency: "agency", unknown_category: "category", unknown_commune: "commune_code",
  bad_target: "target", bad_extra_question: "extra_questions",
};

/** Hide every error of the form. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-general")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Show one message at a field (or, with no such field, at the form's general slot). */
export function fieldError(form, field, message) {
  const slot = form.querySelector(`.field-error[data-error-for="${field}"]`);
  if (!slot) {
    generalError(form, message);
    return;
  }
  slot.hidden = false;
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  const input = form.querySelector(`[name="${field}"]`);
  if (input) input.setAttribute("aria-invalid", "true");
}

export function generalError(form, message) {
  const slot = form.querySelector(".form-general");
  slot.hidden = false;
  slot.textContent = message;
}

/** Show a failed call's errors at the fields they concern. */
export function showApiError(form, err) {
  clearErrors(form);
  const body = err instanceof ApiError ? err.body : null;
  const items = body && Array.isArray(body.errors) ? body.errors : [];
  let placed = 0;
  for (const item of items) {
    // the innermost named place that has a slot: ["body", "days", 0, "name_vi"] -> name_vi
    const loc = Array.isArray(item.loc) ? item.loc : [];
    const field = [...loc].reverse().find((part) => typeof part === "string"
      && form.querySelector(`.field-error[data-error-for="${part}"]`));
    if (field) {
      fieldError(form, field, String(item.msg || ""));
      placed += 1;
    }
  }
  const field = err instanceof ApiError ? FIELD_OF_CODE[err.code] : undefined;
  if (field && form.querySelector(`.field-error[data-error-for="${field}"]`)) {
    fieldError(form, field, errorText(err));
    placed += 1;
  }
  generalError(form, placed ? tr("admin.fix_fields") : errorText(err));
}

/** A trimmed text value, or null when empty. */
export function textOrNull(form, name) {
  const value = form.elements[name].value.trim();
  return value ? value : null;
}

/** An integer field as a number when it is one; otherwise the raw text, for the API to judge. */
export function intValue(form, name) {
  const raw = form.elements[name].value.trim();
  return /^-?\d+$/.test(raw) ? Number(raw) : raw;
}
