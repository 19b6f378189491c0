// Uploading a file to a layer: drop or pick a file → preview (nothing written) → publish.
//
// POST /api/v1/layers/{slug}/preview reads and validates the file and answers the import
// report, the attribute schema and the first 50 features; errors the planner can resolve
// (no CRS, several tables, mixed geometries, CSV columns not found) open the matching
// choice and the preview runs again. "Publish" sends the same file and choices to
// /uploads: 200 is done, 202 is a background job whose progress is polled.

import { api, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { formatNumber, has, onLangChange, t } from "./i18n.js";
import { attributeLabel, formatValue } from "./popup.js";

/** CRS choices: value sent to the server, and a translation key or a literal label. */
export const CRS_CHOICES = [
  ["", "upload.crs_auto"],
  ["EPSG:4326", "WGS 84 (EPSG:4326)"],
  ["VN2000", "upload.crs_vn2000"],
  ["VN2000-UTM48", "VN-2000 / UTM 48N"],
  ["VN2000-UTM49", "VN-2000 / UTM 49N"],
  ["VN2000-TM3-108.5", "upload.crs_tm3_1085"],
  ["VN2000-TM3-107.75", "upload.crs_tm3_10775"],
  ["VN2000-TM3-107.5", "upload.crs_tm3_1075"],
  ["EPSG:32648", "WGS 84 / UTM 48N (EPSG:32648)"],
  ["EPSG:32649", "WGS 84 / UTM 49N (EPSG:32649)"],
  ["EPSG:3857", "Web Mercator (EPSG:3857)"],
  ["custom", "upload.crs_other"],
];
export const ENCODING_CHOICES = [
  ["", "upload.encoding_auto"],
  ["utf-8", "UTF-8 (Unicode)"],
  ["cp1258", "Windows-1258 (CP1258)"],
  ["tcvn3", "TCVN3 (ABC)"],
  ["vni", "VNI-Windows"],
];
const POLL_MS = 600;
const FAMILIES = ["point", "line", "polygon"];

function label(key) {
  return has(key) ? t(key) : key.slice(key.indexOf(".") + 1);
}

/** A choice's label: a translation key ("upload.…") or a technical name shown as it is. */
function choiceLabel(key) {
  return key.startsWith("upload.") ? t(key) : key;
}

/** "MultiPolygon" → "Vùng (nhiều phần)". */
export function geometryLabel(type) {
  return type ? label(`geometry.${String(type).toLowerCase()}`) : "—";
}

export class UploadPanel {
  /**
   * @param root the #tab-data panel
   * @param onPreview called with (preview response) when a preview succeeded
   * @param onClearPreview called when the preview is discarded or failed
   * @param onPublished called with {version, report} after a successful import
   */
  constructor(root, { onPreview = () => {}, onClearPreview = () => {}, onPublished = () => {} } = {}) {
    this.root = root;
    this.onPreview = onPreview;
    this.onClearPreview = onClearPreview;
    this.onPublished = onPublished;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.layer = null;
    this.file = null;
    this.result = null; // the last successful preview
    this.busy = false;
    this.seq = 0;

    const input = this.$("upload-file");
    input.addEventListener("change", () => {
      if (input.files && input.files[0]) this.setFile(input.files[0]);
      input.value = ""; // choosing the same file again still fires "change"
    });
    const zone = this.$("drop-zone");
    for (const type of ["dragenter", "dragover"]) {
      zone.addEventListener(type, (e) => {
        e.preventDefault();
        zone.classList.add("is-over");
      });
    }
    for (const type of ["dragleave", "dragend"]) zone.addEventListener(type, () => zone.classList.remove("is-over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("is-over");
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) this.setFile(file);
    });
    zone.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        input.click();
      }
    });

    for (const id of ["upload-crs", "upload-encoding", "upload-table", "upload-geometry", "upload-lon", "upload-lat", "upload-wkt"]) {
      this.$(id).addEventListener("change", () => {
        this.$("upload-crs-custom").hidden = this.$("upload-crs").value !== "custom";
        if (id === "upload-crs" && this.$("upload-crs").value === "custom") {
          this.$("upload-crs-custom").focus();
          return;
        }
        this.runPreview();
      });
    }
    this.$("upload-crs-custom").addEventListener("change", () => this.runPreview());
    this.$("publish-button").addEventListener("click", () => this.publish());
    this.$("preview-cancel").addEventListener("click", () => this.reset());
    this.fillChoices();
    onLangChange(() => {
      this.fillChoices();
      if (this.result) this.renderPreview(this.result);
    });
  }

  fillChoices() {
    const crs = this.$("upload-crs");
    setOptions(crs, CRS_CHOICES.map(([v, k]) => [v, choiceLabel(k)]), crs.value);
    const enc = this.$("upload-encoding");
    setOptions(enc, ENCODING_CHOICES.map(([v, k]) => [v, choiceLabel(k)]), enc.value);
  }

  /** A new layer is selected: forget the file and any preview. */
  setLayer(layer) {
    this.layer = layer;
    this.reset({ keepResult: false });
    const locked = layer.kind === "admin_units";
    this.$("drop-zone").classList.toggle("is-disabled", locked);
    this.$("upload-file").disabled = locked;
  }

  reset({ keepResult = false } = {}) {
    this.seq += 1;
    this.file = null;
    this.result = null;
    this.stopPolling();
    for (const id of ["upload-table", "upload-geometry", "upload-lon", "upload-lat", "upload-wkt"]) this.showChoice(id, null);
    this.$("upload-crs").value = "";
    this.$("upload-encoding").value = "";
    this.$("upload-crs-custom").hidden = true;
    this.$("upload-crs-custom").value = "";
    this.$("upload-file-name").hidden = true;
    this.$("preview").hidden = true;
    this.$("job-progress").hidden = true;
    this.setStatus(null);
    this.showError(null);
    if (!keepResult) this.$("publish-result").hidden = true;
    this.markChoice(null);
    this.onClearPreview();
  }

  setFile(file) {
    if (!this.layer || this.layer.kind === "admin_units") return;
    this.reset();
    this.file = file;
    const name = this.$("upload-file-name");
    fill(name, el("strong", {}, file.name), ` · ${formatBytes(file.size)}`);
    name.hidden = false;
    this.runPreview();
  }

  /** The file and the planner's choices as a multipart form. */
  form() {
    const data = new FormData();
    data.append("file", this.file, this.file.name);
    const crs = this.$("upload-crs").value;
    const custom = this.$("upload-crs-custom").value.trim();
    if (crs === "custom" ? custom : crs) data.append("crs", crs === "custom" ? custom : crs);
    const fields = [["upload-encoding", "encoding"], ["upload-table", "table"], ["upload-geometry", "geometry"],
      ["upload-lon", "lon"], ["upload-lat", "lat"], ["upload-wkt", "wkt"]];
    for (const [id, name] of fields) {
      const node = this.$(id);
      if (!node.hidden && node.value) data.append(name, node.value);
    }
    return data;
  }

  async runPreview() {
    if (!this.file || !this.layer) return;
    const seq = ++this.seq;
    this.busy = true;
    this.result = null;
    this.$("preview").hidden = true;
    this.$("publish-result").hidden = true;
    this.showError(null);
    this.setStatus(t("upload.reading"), "busy");
    try {
      const result = await api(`/api/v1/layers/${this.layer.slug}/preview`, { method: "POST", body: this.form() });
      if (seq !== this.seq) return;
      this.result = result;
      this.setStatus(null);
      this.markChoice(null);
      this.renderPreview(result);
      this.onPreview(result);
    } catch (err) {
      if (seq !== this.seq) return;
      this.setStatus(null);
      this.renderError(err);
      this.onClearPreview();
    } finally {
      if (seq === this.seq) this.busy = false;
    }
  }

  // ---- what the server answered ------------------------------------------------------

  renderError(err) {
    const body = (err && err.body) || {};
    this.showError(errorText(err));
    const box = this.$("upload-suggestions");
    box.replaceChildren();
    this.markChoice(null);
    const code = err && err.code;
    if (code === "crs_required" || code === "unknown_crs") {
      this.markChoice("upload-crs");
      const suggestions = Array.isArray(body.suggestions) ? body.suggestions : [];
      if (suggestions.length) {
        box.append(el("span", { className: "muted small" }, t("upload.suggested")));
        for (const value of suggestions) {
          const known = CRS_CHOICES.find(([v]) => v === value);
          const button = el("button", { type: "button", className: "button button-small", dataset: { crs: value } },
            known ? choiceLabel(known[1]) : value);
          button.addEventListener("click", () => this.chooseCrs(value));
          box.append(button);
        }
      }
    } else if ((code === "table_required" || code === "table_not_found") && Array.isArray(body.tables)) {
      this.showChoice("upload-table", [["", t("upload.pick")], ...body.tables.map((n) => [n, n])]);
      this.markChoice("upload-table");
    } else if (code === "mixed_geometry_types" && body.counts) {
      const pairs = FAMILIES.filter((f) => f in body.counts)
        .map((f) => [f, `${t(`family.${f}`)} (${formatNumber(body.counts[f])})`]);
      this.showChoice("upload-geometry", [["", t("upload.pick")], ...pairs]);
      this.markChoice("upload-geometry");
    } else if ((code === "csv_coordinates_not_found" || code === "csv_column_not_found") && Array.isArray(body.columns)) {
      const cols = [["", "—"], ...body.columns.map((c) => [c, c])];
      for (const id of ["upload-lon", "upload-lat", "upload-wkt"]) this.showChoice(id, cols);
      this.markChoice("upload-lon");
    }
    box.hidden = !box.childElementCount;
    const rows = this.$("upload-error-rows");
    const rejected = Array.isArray(body.rejected) ? body.rejected : [];
    fill(rows, ...rejected.slice(0, 20).map((r) => el("li", {}, t("report.row", { row: r.row }), " ", r.message)));
    rows.hidden = !rejected.length;
  }

  chooseCrs(value) {
    const select = this.$("upload-crs");
    if (CRS_CHOICES.some(([v]) => v === value)) {
      select.value = value;
      this.$("upload-crs-custom").hidden = true;
    } else {
      select.value = "custom";
      this.$("upload-crs-custom").hidden = false;
      this.$("upload-crs-custom").value = value;
    }
    this.runPreview();
  }

  renderPreview(result) {
    const report = result.report || {};
    this.$("preview").hidden = false;
    fill(this.$("preview-count"), t("preview.count", { count: formatNumber(result.feature_count) }));

    // the tables of a multi-table file stay selectable after a successful read
    if (Array.isArray(report.tables) && report.tables.length > 1) {
      this.showChoice("upload-table", report.tables.map((n) => [n, n]), report.table || undefined);
    }

    const summary = this.$("preview-summary");
    summary.replaceChildren();
    const row = (key, value, field, note) => {
      summary.append(el("dt", {}, t(key)), el("dd", { dataset: { field } }, value, note ? el("span", { className: "muted small" }, ` (${note})`) : null));
    };
    row("preview.format", [report.format, report.table].filter(Boolean).join(" · "), "format");
    const crs = report.crs || {};
    row("preview.crs", crs.input && crs.input !== crs.name ? `${crs.input} — ${crs.name}` : crs.name || "—", "crs",
      crs.source ? label(`source.${crs.source}`) : null);
    row("preview.encoding", report.encoding || "—", "encoding",
      report.encoding_source ? label(`source.${report.encoding_source}`) : null);
    row("preview.geometry", geometryLabel(report.geometry_type), "geometry_type");
    row("preview.features", t("preview.features_value", {
      imported: formatNumber(report.features_imported ?? result.feature_count), read: formatNumber(report.rows_read ?? 0),
    }), "features");
    if (Array.isArray(report.bbox)) row("preview.bbox", report.bbox.map((v) => Number(v).toFixed(4)).join(", "), "bbox");

    this.renderReport(report);
    this.renderTable(result);
    const publish = this.$("publish-button");
    publish.disabled = false;
    publish.textContent = t("preview.publish");
  }

  renderReport(report) {
    const box = this.$("preview-report");
    box.replaceChildren();
    const issues = (report.repaired_count || 0) + (report.rejected_count || 0);
    if (report.encoding_source === "detected" && report.encoding && report.encoding !== "utf-8") {
      box.append(el("p", { className: "note-box" }, t("report.encoding_guessed", { encoding: report.encoding })));
    }
    if (!issues && !(report.notes || []).length && !report.dropped_z && !report.dropped_m) {
      box.append(el("p", { className: "ok-box", id: "report-ok" }, t("report.all_valid")));
    }
    if (report.repaired_count) {
      box.append(this.rowSection("report-repaired", "report.repaired", report.repaired_count, report.repaired, "is-warning"));
    }
    if (report.rejected_count) {
      box.append(this.rowSection("report-rejected", "report.rejected", report.rejected_count, report.rejected, "is-error"));
    }
    if (report.promoted_to_multi) {
      box.append(el("p", { className: "note-box" }, t("report.promoted", { count: formatNumber(report.promoted_to_multi) })));
    }
    if (report.dropped_z || report.dropped_m) {
      box.append(el("p", { className: "note-box", id: "report-dropped" },
        t("report.dropped_zm", { z: formatNumber(report.dropped_z || 0), m: formatNumber(report.dropped_m || 0) })));
    }
    const notes = (report.notes || []).filter((n) => !/Z \(|Z values/.test(n));
    if (notes.length) {
      box.append(el("ul", { className: "notes", id: "report-notes" }, ...notes.map((n) => el("li", {}, n))));
    }
  }

  rowSection(id, key, count, rows, kind) {
    const section = el("details", { className: `report-section ${kind}`, id, open: true });
    section.append(el("summary", {}, t(key, { count: formatNumber(count) })));
    const table = el("table", { className: "data-table compact" });
    table.append(el("thead", {}, el("tr", {}, el("th", {}, t("report.row_header")), el("th", {}, t("report.reason")))));
    const body = el("tbody");
    for (const r of rows || []) {
      body.append(el("tr", { dataset: { row: r.row, code: r.code } }, el("td", { className: "num" }, String(r.row)), el("td", {}, r.message)));
    }
    table.append(body);
    section.append(table);
    if ((rows || []).length < count) section.append(el("p", { className: "muted small" }, t("report.more_rows", { count: formatNumber(count - rows.length) })));
    return section;
  }

  renderTable(result) {
    const table = this.$("preview-table");
    const attrs = result.attributes || [];
    const features = (result.features && result.features.features) || [];
    const head = el("tr", {}, el("th", { className: "num" }, "#"));
    for (const a of attrs) {
      head.append(el("th", { dataset: { field: a.name }, title: a.name }, attributeLabel(a),
        el("span", { className: "type" }, label(`type.${a.type}`))));
    }
    const body = el("tbody");
    features.forEach((f, i) => {
      const tr = el("tr", {}, el("td", { className: "num" }, String(f.id ?? i + 1)));
      for (const a of attrs) {
        const v = (f.properties || {})[a.name];
        tr.append(el("td", { className: typeof v === "number" ? "num" : "", dataset: { field: a.name } }, formatValue(v, a.type)));
      }
      body.append(tr);
    });
    fill(table, el("thead", {}, head), body);
    fill(this.$("preview-table-note"), t("preview.table_note", {
      shown: formatNumber(features.length), total: formatNumber(result.feature_count),
    }));
  }

  // ---- publishing ----------------------------------------------------------------------

  async publish() {
    if (!this.file || !this.result || !this.layer) return;
    const seq = ++this.seq;
    const button = this.$("publish-button");
    button.disabled = true;
    button.textContent = t("preview.publishing");
    this.showError(null);
    try {
      let outcome = await api(`/api/v1/layers/${this.layer.slug}/uploads`, { method: "POST", body: this.form() });
      if (outcome && outcome.job_id) outcome = await this.follow(outcome.status_url, seq);
      if (seq !== this.seq) return;
      this.published(outcome);
    } catch (err) {
      if (seq !== this.seq) return;
      this.$("job-progress").hidden = true;
      this.renderError(err);
      button.disabled = false;
      button.textContent = t("preview.publish");
    }
  }

  /** Poll a background import until it ends; resolves with {version, report}. */
  follow(url, seq) {
    const box = this.$("job-progress");
    const bar = this.$("job-bar");
    box.hidden = false;
    this.$("preview").hidden = true;
    return new Promise((resolve, reject) => {
      const tick = async () => {
        if (seq !== this.seq) return;
        let job;
        try {
          job = await api(url);
        } catch (err) {
          reject(err);
          return;
        }
        box.dataset.status = job.status;
        const total = job.total || 0;
        bar.max = total || 100;
        if (total) bar.value = Math.min(job.progress || 0, total);
        else bar.removeAttribute("value");
        fill(this.$("job-message"), total
          ? t("job.progress", { message: job.message || "", done: formatNumber(job.progress || 0), total: formatNumber(total) })
          : job.message || t("job.queued"));
        if (job.status === "done") {
          box.hidden = true;
          resolve(job.result);
        } else if (job.status === "failed") {
          box.hidden = true;
          const result = job.result || {};
          reject(Object.assign(new Error(job.message), { code: result.code, detail: job.message, body: result }));
        } else {
          this.pollTimer = setTimeout(tick, POLL_MS);
        }
      };
      tick();
    });
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
  }

  published(outcome) {
    const report = (outcome && outcome.report) || {};
    const version = outcome && outcome.version;
    this.reset({ keepResult: true });
    const box = this.$("publish-result");
    fill(box,
      el("strong", {}, t("publish.done", { version })),
      " ",
      t("publish.summary", { count: formatNumber(report.features_imported || 0) }),
      " ",
      el("a", { href: "/", className: "link" }, t("publish.see_map")));
    box.dataset.version = String(version);
    box.hidden = false;
    this.onPublished(outcome);
  }

  // ---- small helpers ---------------------------------------------------------------------

  showChoice(id, pairs, selected) {
    const select = this.$(id);
    const labelNode = this.root.querySelector(`label[for="${id}"]`);
    const on = Boolean(pairs);
    select.hidden = !on;
    if (labelNode) labelNode.hidden = !on;
    if (on) setOptions(select, pairs, selected ?? select.value);
    else select.replaceChildren();
  }

  markChoice(id) {
    for (const node of this.root.querySelectorAll(".needs-choice")) node.classList.remove("needs-choice");
    if (id) this.$(id).classList.add("needs-choice");
  }

  setStatus(message, kind = "info") {
    const node = this.$("upload-status");
    node.hidden = !message;
    node.textContent = message || "";
    node.dataset.kind = kind;
  }

  showError(message) {
    const box = this.$("upload-error");
    box.hidden = !message;
    this.$("upload-error-text").textContent = message || "";
    if (!message) {
      this.$("upload-suggestions").hidden = true;
      this.$("upload-error-rows").hidden = true;
    }
  }
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${formatNumber(n / 1024, 1)} KB`;
  return `${formatNumber(n / 1024 / 1024, 1)} MB`;
}
