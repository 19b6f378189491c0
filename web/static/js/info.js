// The details panel (#info-panel) of the selected administrative unit.
//
// Built from DOM nodes with textContent only: every value comes from data.

import { formatDate, formatNumber, getLang, has, onLangChange, pick, t } from "./i18n.js";

export class InfoPanel {
  /**
   * @param panel the #info-panel element
   * @param onReveal called with a predicate on feature properties to show a related unit
   * @param onClear called when the user clears the selection
   */
  constructor(panel, { onReveal = () => {}, onClear = () => {} } = {}) {
    this.panel = panel;
    this.onReveal = onReveal;
    this.onClear = onClear;
    this.current = null;
    onLangChange(() => this.render());
    this.render();
  }

  show(selection) {
    this.current = selection && selection.feature ? selection : null;
    this.render();
  }

  render() {
    const panel = this.panel;
    panel.replaceChildren();
    if (!this.current) {
      delete panel.dataset.code;
      delete panel.dataset.layer;
      panel.classList.add("is-empty");
      panel.append(el("p", "info-hint", t("info.hint")));
      return;
    }
    const { feature, meta } = this.current;
    const p = feature.properties || {};
    panel.classList.remove("is-empty");
    panel.dataset.code = p.code ?? feature.id ?? "";
    if (meta) panel.dataset.layer = meta.slug;

    const head = el("div", "info-head");
    const titles = el("div", "info-titles");
    titles.append(el("h3", "info-name", p.name || String(feature.id ?? "")));
    if (meta) titles.append(el("p", "info-layer", pick(meta, "title")));
    const close = el("button", "icon-button info-close", "×");
    close.type = "button";
    close.id = "info-close";
    close.title = t("info.close");
    close.setAttribute("aria-label", t("info.close"));
    close.addEventListener("click", () => this.onClear());
    head.append(titles, close);
    panel.append(head);

    if (p.geometry_complete === false) {
      panel.append(el("p", "info-warning", t("info.incomplete")));
    }

    const dl = el("dl", "info-facts");
    const row = (key, value, field) => {
      const dt = el("dt", null, t(key));
      const dd = el("dd", null, value);
      if (field) dd.dataset.field = field;
      dl.append(dt, dd);
      return dd;
    };
    if (p.type) row("info.type", unitType(p.type), "type");
    row("info.code", p.code ?? String(feature.id ?? ""), "code");
    if ("pop_2019" in p) {
      const dd = row("info.population", p.pop_2019 == null ? t("info.unknown") : formatNumber(p.pop_2019), "pop_2019");
      if (p.pop_2019_urban != null && p.pop_2019_rural != null && p.pop_2019_urban > 0) {
        dd.append(el("span", "info-sub", t("info.population_split", {
          urban: formatNumber(p.pop_2019_urban), rural: formatNumber(p.pop_2019_rural),
        })));
      }
    }
    if ("area_km2" in p) {
      row("info.area", p.area_km2 == null ? t("info.unknown")
        : t("info.area_value", { value: formatNumber(p.area_km2, 2) }), "area_km2");
    }
    if ("density_2019" in p) {
      row("info.density", p.density_2019 == null ? t("info.unknown")
        : t("info.density_value", { value: formatNumber(p.density_2019, 1) }), "density_2019");
    }
    if ("valid_from" in p || "valid_to" in p) row("info.validity", validity(p.valid_from, p.valid_to), "validity");
    panel.append(dl);

    if (Array.isArray(p.successors) && p.successors.length) {
      panel.append(this.relatives("info.successors", p.successors, (s) => ({
        text: t("info.successor_item", { name: s.name, code: s.code, from: s.valid_from ? formatDate(s.valid_from) : "?" }),
        reveal: (q) => q.code === s.code && q.valid_from === s.valid_from,
      }), "successors"));
    }
    if (Array.isArray(p.predecessors) && p.predecessors.length) {
      panel.append(this.relatives("info.predecessors", p.predecessors, (s) => ({
        text: t("info.predecessor_item", { name: s.name, code: s.code, to: s.valid_to ? formatDate(s.valid_to) : "?" }),
        reveal: (q) => q.code === s.code && q.valid_to === s.valid_to,
      }), "predecessors"));
    }

    const note = getLang() === "en" ? (p.note_en || p.note_vi) : (p.note_vi || p.note_en);
    if (note) {
      const box = el("div", p.geometry_complete === false ? "info-note is-warning" : "info-note");
      box.dataset.field = "note";
      box.append(el("strong", null, t("info.note")), el("p", null, note));
      panel.append(box);
    }
    if (p.source) panel.append(el("p", "info-source", `${t("info.source")}: ${p.source}`));
  }

  relatives(titleKey, items, describe, field) {
    const section = el("section", "info-relatives");
    section.dataset.field = field;
    section.append(el("h4", null, t(titleKey)));
    const list = el("ul");
    for (const item of items) {
      const { text, reveal } = describe(item);
      const li = el("li");
      const link = el("button", "link-button", text);
      link.type = "button";
      link.dataset.code = item.code;
      link.title = t("info.show_on_map");
      link.addEventListener("click", () => this.onReveal(reveal));
      li.append(link);
      list.append(li);
    }
    section.append(list);
    return section;
  }
}

function unitType(type) {
  const key = `unit.${type}`;
  return has(key) ? t(key) : type;
}

function validity(from, to) {
  if (from && to) return t("info.valid_range", { from: formatDate(from), to: formatDate(to) });
  if (to) return t("info.valid_until", { to: formatDate(to) });
  if (from) return t("info.valid_since", { from: formatDate(from) });
  return t("info.valid_always");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
