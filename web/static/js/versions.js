// Version history of a layer (#tab-versions): every upload is kept; compare an earlier
// version with the current one (feature count, extent, changed features, attributes)
// and make it current again (POST …/versions/{n}/restore).

import { api, errorText } from "./api.js";
import { confirmAction } from "./confirm.js";
import { el, fill } from "./dom.js";
import { formatDateTime, formatNumber, onLangChange, t } from "./i18n.js";

export class VersionsPanel {
  /**
   * @param root the #tab-versions panel
   * @param onRestored called with the restored version summary
   */
  constructor(root, { onRestored = () => {} } = {}) {
    this.root = root;
    this.onRestored = onRestored;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.layer = null;
    this.versions = [];
    this.seq = 0;
    onLangChange(() => this.render());
  }

  async load(layer) {
    const seq = ++this.seq;
    this.layer = layer;
    this.versions = [];
    this.$("version-diff").hidden = true;
    this.status(null);
    this.error(null);
    this.render();
    if (!layer.version) return;
    try {
      const versions = await api(`/api/v1/layers/${layer.slug}/versions`);
      if (seq !== this.seq) return;
      this.versions = versions;
      this.render();
    } catch (err) {
      if (seq === this.seq) this.error(errorText(err));
    }
  }

  render() {
    const list = this.$("versions-list");
    list.replaceChildren();
    if (!this.layer) return;
    if (!this.versions.length) {
      list.append(el("li", { className: "muted empty-row" }, t(this.layer.version ? "versions.loading" : "versions.none")));
      return;
    }
    const locked = this.layer.kind === "admin_units";
    for (const v of this.versions) {
      const head = el("div", { className: "version-head" },
        el("strong", {}, t("versions.version", { version: v.version })),
        v.current ? el("span", { className: "pill pill-ok" }, t("versions.current")) : null,
        el("span", { className: "muted small" }, [v.created_at ? formatDateTime(v.created_at) : "", v.created_by].filter(Boolean).join(" · ")));
      const facts = el("p", { className: "version-facts" },
        el("span", { dataset: { field: "feature_count" } }, t("versions.features", { count: formatNumber(v.feature_count) })),
        v.repaired_count ? el("span", { className: "warn" }, t("versions.repaired", { count: formatNumber(v.repaired_count) })) : null,
        v.rejected_count ? el("span", { className: "bad" }, t("versions.rejected", { count: formatNumber(v.rejected_count) })) : null);
      const source = el("p", { className: "muted small version-source" },
        [v.source_filename, v.source_format, v.source_crs, v.source_encoding].filter(Boolean).join(" · "));
      const actions = el("div", { className: "version-actions" });
      if (!v.current) {
        const diff = el("button", { type: "button", className: "button button-small", dataset: { action: "diff" } }, t("versions.compare"));
        diff.addEventListener("click", () => this.diff(v.version));
        actions.append(diff);
        if (!locked) {
          const restore = el("button", { type: "button", className: "button button-small", dataset: { action: "restore" } }, t("versions.restore"));
          restore.addEventListener("click", () => this.restore(v));
          actions.append(restore);
        }
      }
      list.append(el("li", { className: v.current ? "version is-current" : "version", dataset: { version: String(v.version) } },
        head, facts, source, actions));
    }
  }

  currentVersion() {
    const current = this.versions.find((v) => v.current);
    return current ? current.version : this.layer.version;
  }

  async diff(version) {
    const box = this.$("version-diff");
    const b = this.currentVersion();
    try {
      const d = await api(`/api/v1/layers/${this.layer.slug}/versions/diff?a=${version}&b=${b}`);
      const change = d.feature_count_change;
      const sign = change > 0 ? "+" : "";
      const lines = [
        [t("diff.count"), t("diff.count_value", { a: formatNumber(d.a.feature_count), b: formatNumber(d.b.feature_count), change: `${sign}${formatNumber(change)}` }), "count"],
        [t("diff.extent"), t(d.bbox_changed ? "diff.extent_changed" : "diff.extent_same"), "extent"],
        [t("diff.features"), t("diff.features_value", {
          same: formatNumber(d.features.unchanged), a: version, b, onlyA: formatNumber(d.features.only_in_a), onlyB: formatNumber(d.features.only_in_b),
        }), "features"],
      ];
      const attrs = d.attributes;
      if (attrs.added.length) lines.push([t("diff.added"), attrs.added.join(", "), "added"]);
      if (attrs.removed.length) lines.push([t("diff.removed"), attrs.removed.join(", "), "removed"]);
      if (attrs.type_changed.length) {
        lines.push([t("diff.retyped"), attrs.type_changed.map((x) => `${x.name}: ${x.from} → ${x.to}`).join(", "), "retyped"]);
      }
      const dl = el("dl", { className: "summary-grid" });
      for (const [label, value, field] of lines) dl.append(el("dt", {}, label), el("dd", { dataset: { field } }, value));
      fill(box, el("h4", {}, t("diff.title", { a: version, b })), dl);
      box.dataset.a = String(version);
      box.hidden = false;
    } catch (err) {
      this.error(errorText(err));
    }
  }

  async restore(v) {
    const ok = await confirmAction({
      title: t("versions.restore_title", { version: v.version }),
      message: t("versions.restore_message", { version: v.version, count: formatNumber(v.feature_count) }),
      ok: t("versions.restore_ok"),
      danger: false,
    });
    if (!ok) return;
    try {
      const summary = await api(`/api/v1/layers/${this.layer.slug}/versions/${v.version}/restore`, { method: "POST" });
      this.status(t("versions.restored", { version: v.version, now: summary.version }));
      this.onRestored(summary);
    } catch (err) {
      this.error(errorText(err));
    }
  }

  status(message) {
    const node = this.$("versions-status");
    node.hidden = !message;
    node.textContent = message || "";
  }

  error(message) {
    const node = this.$("versions-error");
    node.hidden = !message;
    node.textContent = message || "";
  }
}
