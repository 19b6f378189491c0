// The popup of a catalogue feature, built from the layer's attribute schema.
//
// Fields flagged `popup: true` are shown in schema order with their Vietnamese or English
// label; the heading is the first shown text field. DOM nodes and textContent only.

import { el } from "./dom.js";
import { formatNumber, pick, t } from "./i18n.js";

const NAME_FIELDS = ["ten", "name", "ten_goi", "tên", "title"];

/** The popup content for one feature (`properties`) of the catalogue layer `meta`. */
export function featurePopup(meta, properties) {
  const p = properties || {};
  const schema = Array.isArray(meta.attributes) && meta.attributes.length
    ? meta.attributes
    : Object.keys(p).map((name) => ({ name, popup: true }));
  const shown = schema.filter((a) => a && a.popup && a.name in p);
  const heading = headingField(shown, p);

  const root = el("div", { className: "popup", dataset: { layer: meta.slug } });
  root.append(el("p", { className: "popup-layer" }, pick(meta, "title")));
  if (heading) root.append(el("h3", { className: "popup-title" }, formatValue(p[heading.name], heading.type)));
  const rows = shown.filter((a) => a !== heading);
  if (rows.length) {
    const dl = el("dl", { className: "popup-fields" });
    for (const attr of rows) {
      dl.append(
        el("dt", { dataset: { field: attr.name } }, attributeLabel(attr)),
        el("dd", { dataset: { field: attr.name } }, formatValue(p[attr.name], attr.type)),
      );
    }
    root.append(dl);
  } else if (!heading) {
    root.append(el("p", { className: "muted" }, t("popup.no_fields")));
  }
  return root;
}

/** A cluster of points merged in a vector tile (count > 1). */
export function clusterPopup(meta, count) {
  return el("div", { className: "popup" },
    el("p", { className: "popup-layer" }, pick(meta, "title")),
    el("h3", { className: "popup-title" }, t("popup.cluster", { count: formatNumber(count) })),
    el("p", { className: "muted" }, t("popup.cluster_hint")));
}

export function attributeLabel(attr) {
  const label = pick({ label_vi: attr.label_vi || null, label_en: attr.label_en || null }, "label");
  return label || attr.name;
}

function headingField(shown, p) {
  const byName = shown.find((a) => NAME_FIELDS.includes(String(a.name).toLowerCase()) && p[a.name]);
  return byName || shown.find((a) => (a.type || "string") === "string" && typeof p[a.name] === "string" && p[a.name]);
}

/** A property value as text: numbers in the page's locale, booleans in words. */
export function formatValue(value, type) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return t(value ? "popup.yes" : "popup.no");
  if (typeof value === "number") {
    return type === "integer" || Number.isInteger(value) ? formatNumber(value)
      : formatNumber(value, Math.min(6, decimals(value)));
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function decimals(value) {
  const s = String(value);
  const i = s.indexOf(".");
  return i < 0 ? 0 : Math.min(6, s.length - i - 1);
}
